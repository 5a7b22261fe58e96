package dev.portcullis.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Identities of tokens verified recently, keyed by the SHA-256 of the token so that no token is
 * kept in memory. An entry lives until the earlier of the token's {@code exp} and a fixed bound.
 */
final class VerifiedTokenCache {
    private final Cache<String, VerifiedIdentity> cache;

    VerifiedTokenCache(long maxEntries, Duration maxTtl, Clock clock) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .expireAfter(Expiry.<String, VerifiedIdentity>writing((key, identity) -> {
                    Duration untilExp = Duration.between(clock.instant(), identity.expiresAt());
                    Duration ttl = untilExp.compareTo(maxTtl) < 0 ? untilExp : maxTtl;
                    return ttl.isNegative() ? Duration.ZERO : ttl;
                }))
                .build();
    }

    static String key(String token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    VerifiedIdentity get(String key) {
        return cache.getIfPresent(key);
    }

    void put(String key, VerifiedIdentity identity) {
        cache.put(key, identity);
    }
}
