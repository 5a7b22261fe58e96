package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.IssuerScope;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who presented a token whose signature, issuer, audience and lifetime were verified.
 *
 * @param issuer the {@code iss} of the token, one of the configured issuers
 * @param user the user claim (by default {@code sub})
 * @param email the email claim, if the token had one
 * @param org the org claim, if the token had one
 * @param groups the groups claim; empty when absent
 * @param otherClaims every other claim the token carried (registered ones and the mapped ones excluded)
 * @param expiresAt the token's {@code exp}; the identity must not be used after it
 * @param issuerAlias the issuer's alias: the user is {@code user@issuerAlias} in records
 * @param scope which orgs the issuer may speak for, and for which its users' bare names count
 * @param adminIssuer whether the issuer may carry the admin claim
 */
public record VerifiedIdentity(
        String issuer,
        String user,
        Optional<String> email,
        Optional<String> org,
        List<String> groups,
        Map<String, Object> otherClaims,
        Instant expiresAt,
        String issuerAlias,
        IssuerScope scope,
        boolean adminIssuer) {

    public VerifiedIdentity {
        requireNonNull(issuer, "issuer");
        requireNonNull(user, "user");
        requireNonNull(email, "email");
        requireNonNull(org, "org");
        groups = List.copyOf(requireNonNull(groups, "groups"));
        otherClaims = Map.copyOf(requireNonNull(otherClaims, "otherClaims"));
        requireNonNull(expiresAt, "expiresAt");
        requireNonNull(issuerAlias, "issuerAlias");
        requireNonNull(scope, "scope");
    }

    /** {@code alice@corp}: how records name this user unambiguously. */
    public String qualifiedUser() {
        return user + '@' + issuerAlias;
    }

    /** True when {@code now} is at or past {@link #expiresAt()}. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
