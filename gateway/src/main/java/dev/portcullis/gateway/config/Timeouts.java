package dev.portcullis.gateway.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long the gateway waits, each for one thing. None of them limits how long a WebSocket tunnel
 * or a streaming response may last: only silence ({@code idle}) ends those.
 *
 * @param requestHead  from accepting a connection (TLS handshake included), or from the end of the
 *                     previous response, until a complete request head arrived; slow-header clients
 *                     are closed when it passes, however steadily they trickle bytes
 * @param connect      for a workspace port to accept the connection
 * @param responseHead from the request's last byte reaching the workspace until its response head
 * @param idle         without a byte in either direction, on any connection or tunnel
 */
public record Timeouts(Duration requestHead, Duration connect, Duration responseHead, Duration idle) {
    public static final Timeouts DEFAULTS = new Timeouts(
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofMinutes(15));

    public Timeouts {
        requirePositive(requestHead, "requestHead");
        requirePositive(connect, "connect");
        requirePositive(responseHead, "responseHead");
        requirePositive(idle, "idle");
    }

    private static void requirePositive(Duration value, String name) {
        requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("timeouts." + name + ": " + value + " (expected: > 0)");
        }
    }
}
