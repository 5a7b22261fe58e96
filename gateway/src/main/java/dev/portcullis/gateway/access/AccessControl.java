package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.observe.AuditLog;
import java.util.function.Supplier;

/**
 * What enforcing access on every request needs: who the caller is ({@code identity}), what they may
 * reach ({@code access}), where decisions are written ({@code audit}), the connections to close
 * when access ends ({@code grants}), which one-time URL tokens were used ({@code oneTimeTokens}) and
 * how the gateway tells a workspace who is calling ({@code assertions}).
 */
public record AccessControl(IdentityVerifier identity, Supplier<AccessSnapshot> access, AuditLog audit,
                            OpenGrants grants, OneTimeTokens oneTimeTokens, IdentityAssertions assertions) {
    /** The gateway's own cookie: {@code __Host-} makes browsers keep it host-only, Secure, with Path=/. */
    public static final String COOKIE = "__Host-portcullis";

    public AccessControl {
        requireNonNull(identity, "identity");
        requireNonNull(access, "access");
        requireNonNull(audit, "audit");
        requireNonNull(grants, "grants");
        requireNonNull(oneTimeTokens, "oneTimeTokens");
        requireNonNull(assertions, "assertions");
    }
}
