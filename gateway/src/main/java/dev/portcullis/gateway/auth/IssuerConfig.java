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
 * @param alias the short name records use for this issuer's users ({@code alice@corp}); unique,
 *              unless {@code sameUsers}
 * @param orgs the orgs whose org claim this issuer may carry and whose groups and claims it may
 *             vouch for; {@code *} alone: every org (only when it is the one trusted issuer)
 * @param admin whether this issuer's tokens may carry the admin claim
 * @param sameUsers whether the configuration declared that this issuer names the same people as the
 *                  issuer whose alias it takes ({@link Builder#sameUsersAs}): its {@code alice} is that
 *                  issuer's {@code alice}. Never by accident: two issuers whose aliases merely collide are refused.
 */
public record IssuerConfig(
        String issuer,
        String audience,
        IssuerKeys keys,
        Set<JWSAlgorithm> algorithms,
        Optional<String> expectedType,
        ClaimNames claims,
        String alias,
        Set<String> orgs,
        boolean admin,
        boolean sameUsers) {

    /** In {@link #orgs()}: the issuer speaks for every org. */
    public static final String ANY_ORG = "*";

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
        requireNonNull(alias, "alias");
        if (!alias.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("alias of issuer '" + issuer + "': '" + alias
                    + "' (expected: 1-64 letters, digits, '.', '_' or '-'; no '@')");
        }
        orgs = Set.copyOf(requireNonNull(orgs, "orgs"));
        for (String org : orgs) {
            if (org.isBlank() || org.equals(ANY_ORG) && orgs.size() > 1) {
                throw new IllegalArgumentException("orgs of issuer '" + issuer + "': " + orgs
                        + " (expected: org names, or '*' alone for every org)");
            }
        }
    }

    /** This issuer bound to {@code newOrgs}, carrying the admin claim or not. */
    public IssuerConfig bound(Set<String> newOrgs, boolean mayCarryAdminClaim) {
        return new IssuerConfig(issuer, audience, keys, algorithms, expectedType, claims, alias, newOrgs, mayCarryAdminClaim,
                sameUsers);
    }

    /** This issuer naming the same people as the issuer aliased {@code alias} ({@link Builder#sameUsersAs}). */
    public IssuerConfig namingTheSameUsersAs(String otherAlias) {
        return new IssuerConfig(issuer, audience, keys, algorithms, expectedType, claims, otherAlias, orgs, admin, true);
    }

    /** Whether this issuer may speak for {@code org} (null: a workspace without org, only for '*'). */
    public boolean speaksFor(String org) {
        return orgs.contains(ANY_ORG) || org != null && orgs.contains(org);
    }

    /** The host of an issuer URL, the default alias: {@code https://idp.example.com/x} gives {@code idp.example.com}. */
    static String defaultAlias(String issuer) {
        try {
            String host = URI.create(issuer).getHost();
            if (host != null && !host.isEmpty()) {
                return host;
            }
        } catch (IllegalArgumentException e) {
            // not a URL: fall through to a name made of its allowed characters
        }
        String name = issuer.replaceAll("[^A-Za-z0-9._-]", "-");
        return name.substring(0, Math.min(64, name.length()));
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
        private String alias;
        private Set<String> orgs = Set.of(ANY_ORG);
        private boolean admin = true;
        private boolean sameUsers;

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

        /** The short name records use for this issuer's users; the issuer URL's host by default. */
        public Builder alias(String name) {
            alias = requireNonNull(name, "name");
            return this;
        }

        /**
         * Declares that this issuer's users are the people of the issuer aliased {@code alias}, and
         * names them so ({@code alice@alias}): for a second issuer of one directory, such as the
         * demo's token issuer beside its sign-in provider. Both must be bound to the same orgs.
         */
        public Builder sameUsersAs(String alias) {
            this.alias = requireNonNull(alias, "alias");
            this.sameUsers = true;
            return this;
        }

        /** The orgs this issuer may speak for; every org ({@code *}) by default, fit only for a single issuer. */
        public Builder orgs(String... names) {
            orgs = Set.of(names);
            return this;
        }

        /** Whether its tokens may carry the admin claim; yes by default, fit only for a single issuer. */
        public Builder admin(boolean mayCarryAdminClaim) {
            admin = mayCarryAdminClaim;
            return this;
        }

        public IssuerConfig build() {
            if (keys == null) {
                throw new IllegalStateException("keys of issuer '" + issuer + "': not set (expected: a JWKS url or static keys)");
            }
            requireNonNull(issuer, "issuer");
            return new IssuerConfig(issuer, audience, keys, algorithms, Optional.ofNullable(expectedType),
                    new ClaimNames(userClaim, emailClaim, orgClaim, groupsClaim),
                    alias != null ? alias : defaultAlias(issuer), orgs, admin, sameUsers);
        }
    }
}
