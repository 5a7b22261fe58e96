package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.IssuerScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Settings of an {@link IdentityVerifier}.
 *
 * @param issuers the trusted issuers; a token from any other is refused
 * @param clockSkew tolerance for {@code nbf} and {@code iat} in the future (0–60 s)
 * @param cacheMaxEntries how many verified tokens are remembered
 * @param cacheMaxTtl how long a verified token is remembered at most (never past its {@code exp})
 * @param verifyThreads threads that verify tokens whose keys may need fetching
 * @param verifyQueue verifications that may wait for those threads before new ones are refused
 */
public record IdentityVerifierConfig(
        List<IssuerConfig> issuers,
        Duration clockSkew,
        long cacheMaxEntries,
        Duration cacheMaxTtl,
        int verifyThreads,
        int verifyQueue) {

    public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);

    public IdentityVerifierConfig {
        issuers = List.copyOf(requireNonNull(issuers, "issuers"));
        if (issuers.isEmpty()) {
            throw new IllegalArgumentException("issuers: empty (expected: at least one trusted issuer)");
        }
        Set<String> seen = new HashSet<>();
        Map<String, List<IssuerConfig>> byAlias = new HashMap<>();
        for (IssuerConfig issuer : issuers) {
            if (!seen.add(issuer.issuer())) {
                throw new IllegalArgumentException("issuers: '" + issuer.issuer() + "' twice (expected: each issuer once)");
            }
            byAlias.computeIfAbsent(issuer.alias(), alias -> new ArrayList<>()).add(issuer);
            if (issuers.size() > 1 && issuer.orgs().contains(IssuerConfig.ANY_ORG)) {
                throw new IllegalArgumentException("issuers: '" + issuer.issuer() + "' may speak for every org"
                        + " (expected: with several issuers, each lists the orgs it may speak for, so that one IdP"
                        + " cannot speak for another's org)");
            }
        }
        byAlias.forEach(IdentityVerifierConfig::checkAliasShared);
        requireNonNull(clockSkew, "clockSkew");
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("clockSkew: " + clockSkew + " (expected: 0s-60s)");
        }
        if (cacheMaxEntries < 0) {
            throw new IllegalArgumentException("cacheMaxEntries: " + cacheMaxEntries + " (expected: >= 0)");
        }
        requireNonNull(cacheMaxTtl, "cacheMaxTtl");
        if (cacheMaxTtl.isNegative()) {
            throw new IllegalArgumentException("cacheMaxTtl: " + cacheMaxTtl + " (expected: >= 0)");
        }
        if (verifyThreads < 1 || verifyThreads > 64) {
            throw new IllegalArgumentException("verifyThreads: " + verifyThreads + " (expected: 1-64)");
        }
        if (verifyQueue < 1) {
            throw new IllegalArgumentException("verifyQueue: " + verifyQueue + " (expected: >= 1)");
        }
    }

    /**
     * Issuers share an alias only when the configuration says they name the same people: all but
     * one of them declared {@code sameUsersAs}, all bound to the same orgs. Aliases that merely
     * collide (two realms on one host get the host as their default alias) are refused.
     */
    private static void checkAliasShared(String alias, List<IssuerConfig> sharing) {
        List<IssuerConfig> own = sharing.stream().filter(issuer -> !issuer.sameUsers()).toList();
        if (own.size() > 1) {
            throw new IllegalArgumentException("issuers: alias '" + alias + "' of '" + own.get(1).issuer()
                    + "' is taken by '" + own.get(0).issuer() + "' (expected: a unique alias per issuer, or"
                    + " 'sameUsersAs: " + alias + "' when both issuers name the same people)");
        }
        if (own.isEmpty()) {
            throw new IllegalArgumentException("issuers: '" + sharing.get(0).issuer() + "' names the same users as"
                    + " issuer alias '" + alias + "', which no issuer has (expected: the alias of a trusted issuer)");
        }
        for (IssuerConfig issuer : sharing) {
            if (!issuer.orgs().equals(own.get(0).orgs())) {
                throw new IllegalArgumentException("issuers: '" + issuer.issuer() + "' names the same users as '"
                        + own.get(0).issuer() + "' but is bound to orgs " + issuer.orgs().stream().sorted().toList()
                        + " (expected: the same orgs as it, " + own.get(0).orgs().stream().sorted().toList() + ")");
            }
        }
    }

    /**
     * What {@code issuer}'s tokens may speak for: the orgs it is bound to, and the orgs it is the only
     * issuer bound to (with those declared to name the same people), whose bare user names mean its users.
     */
    public IssuerScope scopeOf(IssuerConfig issuer) {
        requireNonNull(issuer, "issuer");
        return new IssuerScope() {
            @Override
            public boolean speaksFor(String org) {
                return issuer.speaksFor(org);
            }

            @Override
            public boolean isHomeOf(String org) {
                if (!issuer.speaksFor(org)) {
                    return false;
                }
                for (IssuerConfig other : issuers) {
                    // An issuer declared to name the same people (sameUsersAs) shares the home.
                    if (other != issuer && other.speaksFor(org) && !other.alias().equals(issuer.alias())) {
                        return false;
                    }
                }
                return true;
            }
        };
    }

    /** The issuer whose alias is {@code alias}, if one is trusted. */
    public Optional<IssuerConfig> byAlias(String alias) {
        return issuers.stream().filter(i -> i.alias().equals(alias)).findFirst();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final List<IssuerConfig> issuers = new ArrayList<>();
        private Duration clockSkew = Duration.ofSeconds(30);
        private long cacheMaxEntries = 10_000;
        private Duration cacheMaxTtl = Duration.ofMinutes(5);
        private int verifyThreads = 2;
        private int verifyQueue = 1024;

        private Builder() {}

        public Builder issuer(IssuerConfig issuer) {
            issuers.add(requireNonNull(issuer, "issuer"));
            return this;
        }

        public Builder clockSkew(Duration skew) {
            clockSkew = skew;
            return this;
        }

        public Builder cacheMaxEntries(long entries) {
            cacheMaxEntries = entries;
            return this;
        }

        public Builder cacheMaxTtl(Duration ttl) {
            cacheMaxTtl = ttl;
            return this;
        }

        public Builder verifyThreads(int threads) {
            verifyThreads = threads;
            return this;
        }

        public Builder verifyQueue(int queue) {
            verifyQueue = queue;
            return this;
        }

        public IdentityVerifierConfig build() {
            return new IdentityVerifierConfig(issuers, clockSkew, cacheMaxEntries, cacheMaxTtl, verifyThreads, verifyQueue);
        }
    }
}
