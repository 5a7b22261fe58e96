package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.console.Console;
import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.signin.Sessions;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What enforcing access on every request needs: who the caller is ({@code identity}), what they may
 * reach ({@code access}), where decisions are written ({@code audit}), the connections to close
 * when access ends ({@code grants}), the browser sessions that the gateway's cookie references and
 * the one-time URL tokens already used ({@code sessions}, in the store), how the gateway tells a
 * workspace who is calling ({@code assertions}), and the browser sign-in with an identity provider
 * when one is configured ({@code signIn}), and the web console on the login host, which needs it
 * ({@code console}).
 */
public record AccessControl(IdentityVerifier identity, Supplier<AccessSnapshot> access, AuditLog audit,
                            OpenGrants grants, Sessions sessions, IdentityAssertions assertions,
                            Optional<SignIn> signIn, Optional<Console> console) {
    /** The gateway's own cookie: {@code __Host-} makes browsers keep it host-only, Secure, with Path=/. */
    public static final String COOKIE = SignIn.SESSION_COOKIE;

    public AccessControl {
        requireNonNull(identity, "identity");
        requireNonNull(access, "access");
        requireNonNull(audit, "audit");
        requireNonNull(grants, "grants");
        requireNonNull(sessions, "sessions");
        requireNonNull(assertions, "assertions");
        requireNonNull(signIn, "signIn");
        requireNonNull(console, "console");
    }

    /** Without a console. */
    public AccessControl(IdentityVerifier identity, Supplier<AccessSnapshot> access, AuditLog audit, OpenGrants grants,
                         Sessions sessions, IdentityAssertions assertions, Optional<SignIn> signIn) {
        this(identity, access, audit, grants, sessions, assertions, signIn, Optional.empty());
    }
}
