package dev.portcullis.gateway.access;

import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.policy.Principal;
import java.util.List;

/** The policy's view of a verified caller. */
public final class Principals {
    private Principals() {}

    /**
     * Claims beyond user, email, org and groups are kept when they are strings or lists of strings,
     * the only shapes policy rules match on; others (numbers, objects) are left out.
     */
    public static Principal of(VerifiedIdentity identity) {
        Principal.Builder principal = Principal.builder(identity.user()).issuer(identity.issuerAlias(), identity.scope())
                .groups(identity.groups());
        identity.email().ifPresent(principal::email);
        identity.org().ifPresent(principal::org);
        identity.otherClaims().forEach((name, value) -> {
            if (value instanceof String text) {
                principal.claim(name, text);
            } else if (value instanceof List<?> list) {
                list.forEach(item -> {
                    if (item instanceof String text) {
                        principal.claim(name, text);
                    }
                });
            }
        });
        return principal.build();
    }
}
