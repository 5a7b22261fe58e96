package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How a remote JWKS is fetched and cached.
 *
 * @param cacheTtl how long a fetched key set is used before it must be fetched again
 * @param refreshTimeout how long a caller waits for a fetch that another caller started
 * @param refreshAhead how long before {@code cacheTtl} ends a background refresh starts, so
 *     callers rarely wait for the network
 * @param minRefetchInterval the least time between two fetches; bounds how often tokens with
 *     unknown {@code kid}s can make us call the issuer
 * @param outageTolerance how long the last good key set keeps serving when the issuer is down
 * @param connectTimeout TCP connect timeout of a fetch
 * @param readTimeout read timeout of a fetch
 * @param sizeLimitBytes the largest JWKS document accepted
 */
public record JwksPolicy(
        Duration cacheTtl,
        Duration refreshTimeout,
        Duration refreshAhead,
        Duration minRefetchInterval,
        Duration outageTolerance,
        Duration connectTimeout,
        Duration readTimeout,
        int sizeLimitBytes) {

    public static final JwksPolicy DEFAULTS = new JwksPolicy(
            Duration.ofMinutes(5), Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofSeconds(30),
            Duration.ofMinutes(15), Duration.ofSeconds(2), Duration.ofSeconds(2), 64 * 1024);

    public JwksPolicy {
        requirePositive(cacheTtl, "cacheTtl");
        requirePositive(refreshTimeout, "refreshTimeout");
        requirePositive(refreshAhead, "refreshAhead");
        requirePositive(minRefetchInterval, "minRefetchInterval");
        requirePositive(outageTolerance, "outageTolerance");
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(readTimeout, "readTimeout");
        if (sizeLimitBytes < 1024) {
            throw new IllegalArgumentException("sizeLimitBytes: " + sizeLimitBytes + " (expected: >= 1024)");
        }
        // Nimbus' own constraints, checked here so the message names our fields.
        if (refreshAhead.plus(refreshTimeout).compareTo(cacheTtl) >= 0) {
            throw new IllegalArgumentException("refreshAhead + refreshTimeout: " + refreshAhead.plus(refreshTimeout)
                    + " (expected: less than cacheTtl " + cacheTtl + ")");
        }
        if (minRefetchInterval.compareTo(cacheTtl) >= 0) {
            throw new IllegalArgumentException("minRefetchInterval: " + minRefetchInterval
                    + " (expected: less than cacheTtl " + cacheTtl + ")");
        }
    }

    private static void requirePositive(Duration value, String field) {
        requireNonNull(value, field);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(field + ": " + value + " (expected: > 0)");
        }
    }
}
