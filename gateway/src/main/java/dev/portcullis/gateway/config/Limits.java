package dev.portcullis.gateway.config;

import java.time.Duration;

/**
 * Bounds on what one gateway accepts.
 *
 * @param maxConnections  open client connections; one more is closed at accept, before TLS
 * @param maxRequestBody  bytes of one request body; a larger one is answered 413 (0: no limit)
 * @param drainTimeout    on shutdown, how long requests in flight may take to finish before their
 *                        connections (and open tunnels) are closed
 */
public record Limits(int maxConnections, long maxRequestBody, Duration drainTimeout) {
    public static final Limits DEFAULTS = new Limits(20_000, 0, Duration.ofSeconds(10));

    public Limits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("limits.maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (maxRequestBody < 0) {
            throw new IllegalArgumentException("limits.maxRequestBody: " + maxRequestBody + " (expected: >= 0, 0 for no limit)");
        }
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("limits.drainTimeout: " + drainTimeout + " (expected: >= 0)");
        }
    }
}
