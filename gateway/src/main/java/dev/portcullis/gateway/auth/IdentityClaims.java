package dev.portcullis.gateway.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Turns the claims of a verified token into a {@link VerifiedIdentity} using an issuer's claim names. */
public final class IdentityClaims {
    private IdentityClaims() {}

    static VerifiedIdentity toIdentity(IssuerConfig issuer, JWTClaimsSet claims, Instant expiresAt)
            throws TokenRejectedException {
        return toIdentity(issuer.issuer(), issuer.claims(), claims, expiresAt);
    }

    /** The same mapping for claims verified elsewhere (an OpenID Connect ID token checked by the sign-in). */
    public static VerifiedIdentity toIdentity(String issuer, ClaimNames names, JWTClaimsSet claims, Instant expiresAt)
            throws TokenRejectedException {
        Object user = claims.getClaim(names.user());
        if (!(user instanceof String u) || u.isBlank()) {
            throw new TokenRejectedException(RejectionReason.MISSING_USER,
                    "The token has no user in claim '" + names.user() + "' (expected: a non-empty string).");
        }
        Optional<String> email = optionalString(claims, names.email());
        Optional<String> org = optionalString(claims, names.org());
        List<String> groups = groups(claims, names.groups());

        Set<String> represented = Set.of("iss", "exp", names.user(), names.email(), names.org(), names.groups());
        Map<String, Object> other = new HashMap<>();
        claims.getClaims().forEach((name, value) -> {
            if (value != null && !represented.contains(name)) {
                other.put(name, frozen(value));
            }
        });
        return new VerifiedIdentity(issuer, u, email, org, groups, other, expiresAt);
    }

    /** JSON values as parsed are mutable maps, lists and Dates; the identity must not change after verification. */
    private static Object frozen(Object value) {
        return switch (value) {
            case Map<?, ?> map -> {
                Map<Object, Object> copy = new LinkedHashMap<>();
                map.forEach((k, v) -> copy.put(k, v == null ? null : frozen(v)));
                yield Collections.unmodifiableMap(copy);
            }
            case List<?> list -> {
                List<Object> copy = new ArrayList<>(list.size());
                list.forEach(v -> copy.add(v == null ? null : frozen(v)));
                yield Collections.unmodifiableList(copy);
            }
            case Date date -> date.toInstant();
            default -> value;
        };
    }

    private static Optional<String> optionalString(JWTClaimsSet claims, String name) throws TokenRejectedException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof String s) {
            return Optional.of(s);
        }
        throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED,
                "Claim '" + name + "' is a " + value.getClass().getSimpleName() + " (expected: a string).");
    }

    /** Groups may be absent, a single string, or a list of strings. */
    private static List<String> groups(JWTClaimsSet claims, String name) throws TokenRejectedException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return List.of();
        }
        if (value instanceof String s) {
            return List.of(s);
        }
        if (value instanceof List<?> list) {
            List<String> groups = new ArrayList<>(list.size());
            for (Object item : list) {
                if (!(item instanceof String g)) {
                    throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED,
                            "Claim '" + name + "' holds a non-string entry (expected: a list of strings).");
                }
                groups.add(g);
            }
            return groups;
        }
        throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED,
                "Claim '" + name + "' is a " + value.getClass().getSimpleName() + " (expected: a list of strings).");
    }
}
