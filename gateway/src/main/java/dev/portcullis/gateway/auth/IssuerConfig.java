package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One trusted token issuer.
 *
 * @param issuer the exact {@code iss} value its tokens carry
 * @param audience the {@code aud} value its tokens must carry for this gateway
 * @param keys where its verification keys come from
 * @param algorithms the signature algorithms accepted from it
 * @param expectedType when present, the header {@code typ} its tokens must carry (e.g. {@code at+jwt})
 * @param claims which claims carry user, email, org and groups
 */
public record IssuerConfig(
        String issuer,
        String audience,
        IssuerKeys keys,
        Set<JWSAlgorithm> algorithms,
        Optional<String> expectedType,
        ClaimNames claims) {

    /** Asymmetric algorithms we can verify. HMAC is absent on purpose: issuers here publish public keys. */
    public static final Set<JWSAlgorithm> SUPPORTED_ALGORITHMS = Set.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

    public IssuerConfig {
        requireNonBlank(issuer, "issuer");
        requireNonBlank(audience, "audience");
        requireNonNull(keys, "keys");
        requireNonNull(algorithms, "algorithms");
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("algorithms of issuer '" + issuer + "': empty (expected: some of "
                    + names(SUPPORTED_ALGORITHMS) + ")");
        }
        for (JWSAlgorithm alg : algorithms) {
            if (!SUPPORTED_ALGORITHMS.contains(alg)) {
                throw new IllegalArgumentException("algorithm of issuer '" + issuer + "': " + alg
                        + " (expected: one of " + names(SUPPORTED_ALGORITHMS) + ")");
            }
        }
        algorithms = Set.copyOf(algorithms);
        requireNonNull(expectedType, "expectedType");
        expectedType.ifPresent(t -> requireNonBlank(t, "expectedType"));
        requireNonNull(claims, "claims");
    }

    public static Builder builder(String issuer, String audience) {
        return new Builder(issuer, audience);
    }

    /** True when keys may have to be fetched over the network (so verification may block). */
    public boolean fetchesKeys() {
        return keys instanceof IssuerKeys.Jwks;
    }

    private static void requireNonBlank(String value, String field) {
        requireNonNull(value, field);
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + ": '" + value + "' (expected: non-blank)");
        }
    }

    private static List<String> names(Set<JWSAlgorithm> algs) {
        return algs.stream().map(JWSAlgorithm::getName).sorted().toList();
    }

    /** Collects an issuer's settings; exactly one of {@link #jwks} and {@link #staticKeys} must be called. */
    public static final class Builder {
        private final String issuer;
        private final String audience;
        private IssuerKeys keys;
        private final Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        private String expectedType;
        private String userClaim = ClaimNames.DEFAULTS.user();
        private String emailClaim = ClaimNames.DEFAULTS.email();
        private String orgClaim = ClaimNames.DEFAULTS.org();
        private String groupsClaim = ClaimNames.DEFAULTS.groups();

        private Builder(String issuer, String audience) {
            this.issuer = issuer;
            this.audience = audience;
        }

        public Builder jwks(URI url) {
            return jwks(url, JwksPolicy.DEFAULTS);
        }

        public Builder jwks(URI url, JwksPolicy policy) {
            return keys(new IssuerKeys.Jwks(url, policy));
        }

        public Builder staticKeys(JWKSet keySet) {
            return keys(new IssuerKeys.Static(keySet));
        }

        private Builder keys(IssuerKeys newKeys) {
            if (keys != null) {
                throw new IllegalStateException("keys of issuer '" + issuer + "': already set to " + keys
                        + " (expected: either a JWKS url or static keys, not both)");
            }
            keys = newKeys;
            return this;
        }

        public Builder algorithms(JWSAlgorithm... algs) {
            algorithms.addAll(List.of(algs));
            return this;
        }

        public Builder expectedType(String type) {
            expectedType = requireNonNull(type, "type");
            return this;
        }

        public Builder userClaim(String name) {
            userClaim = name;
            return this;
        }

        public Builder emailClaim(String name) {
            emailClaim = name;
            return this;
        }

        public Builder orgClaim(String name) {
            orgClaim = name;
            return this;
        }

        public Builder groupsClaim(String name) {
            groupsClaim = name;
            return this;
        }

        public IssuerConfig build() {
            if (keys == null) {
                throw new IllegalStateException("keys of issuer '" + issuer + "': not set (expected: a JWKS url or static keys)");
            }
            return new IssuerConfig(issuer, audience, keys, algorithms, Optional.ofNullable(expectedType),
                    new ClaimNames(userClaim, emailClaim, orgClaim, groupsClaim));
        }
    }
}
