package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
        for (IssuerConfig issuer : issuers) {
            if (!seen.add(issuer.issuer())) {
                throw new IllegalArgumentException("issuers: '" + issuer.issuer() + "' twice (expected: each issuer once)");
            }
        }
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
