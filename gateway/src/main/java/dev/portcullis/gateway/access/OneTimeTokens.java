package dev.portcullis.gateway.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * Remembers which {@code ?access_token=} values were exchanged for a cookie, so that a URL with a
 * token in it works once per host: a copy left in browser history, a Referer or a proxy log is
 * refused afterwards. Remembered until the token expires (it is refused anyway after that), keyed by
 * a hash so the tokens themselves are not kept. One gateway's memory: behind several gateways a
 * replay on another one is possible until the token expires (see docs/security.md).
 */
public final class OneTimeTokens {
    private static final long MAX_ENTRIES = 200_000;

    private final Cache<String, Instant> used;
    private final Clock clock;

    public OneTimeTokens(Clock clock) {
        this.clock = clock;
        this.used = Caffeine.newBuilder()
                .maximumSize(MAX_ENTRIES)
                .expireAfter(new Expiry<String, Instant>() {
                    @Override
                    public long expireAfterCreate(String key, Instant expiresAt, long currentTime) {
                        return Math.max(0, Duration.between(clock.instant(), expiresAt).toNanos());
                    }

                    @Override
                    public long expireAfterUpdate(String key, Instant expiresAt, long currentTime, long currentDuration) {
                        return currentDuration;
                    }

                    @Override
                    public long expireAfterRead(String key, Instant expiresAt, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** True the first time {@code token} is presented for {@code host}; false on every later time. */
    public boolean firstUse(String token, String host, Instant expiresAt) {
        if (!clock.instant().isBefore(expiresAt)) {
            return false;
        }
        return used.asMap().putIfAbsent(key(token, host), expiresAt) == null;
    }

    private static String key(String token, String host) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(host.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            return Base64.getEncoder().encodeToString(sha256.digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
