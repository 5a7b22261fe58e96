package dev.portcullis.gateway.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.portcullis.policy.IssuerScope;
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
final class IdentityClaims {
    private IdentityClaims() {}

    /**
     * @param rawClaims the payload as JSON parsed it: Nimbus turns a numeric {@code sub} into a string
     *                  in {@code claims}, so the user claim's type is checked here, where it is still a number
     */
    static VerifiedIdentity toIdentity(IssuerConfig issuer, IssuerScope scope, JWTClaimsSet claims,
                                       Map<String, Object> rawClaims, Instant expiresAt) throws TokenRejectedException {
        ClaimNames names = issuer.claims();
        Object user = rawClaims == null ? null : rawClaims.get(names.user());
        if (!(user instanceof String u) || u.isBlank()) {
            throw new TokenRejectedException(RejectionReason.MISSING_USER,
                    "The token has no user in claim '" + names.user() + "' (expected: a non-empty string).");
        }
        Optional<String> email = optionalString(claims, names.email());
        Optional<String> org = optionalString(claims, names.org());
        if (org.isPresent() && !issuer.speaksFor(org.get())) {
            throw new TokenRejectedException(RejectionReason.ORG_NOT_BOUND, "The token names org '" + org.get()
                    + "', which issuer '" + issuer.issuer() + "' may not speak for (expected: one of "
                    + issuer.orgs().stream().sorted().toList() + ").");
        }
        List<String> groups = groups(claims, names.groups());

        Set<String> represented = Set.of("iss", "exp", names.user(), names.email(), names.org(), names.groups());
        Map<String, Object> other = new HashMap<>();
        claims.getClaims().forEach((name, value) -> {
            if (value != null && !represented.contains(name)) {
                other.put(name, frozen(value));
            }
        });
        return new VerifiedIdentity(issuer.issuer(), u, email, org, groups, other, expiresAt, issuer.alias(), scope,
                issuer.admin());
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

    /**
     * Groups may be absent or a list of strings. A single string is refused, not guessed at: IdPs
     * that send one mean a list joined by ',' or ' ' or one group, and a wrong guess grants a group.
     */
    private static List<String> groups(JWTClaimsSet claims, String name) throws TokenRejectedException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return List.of();
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
