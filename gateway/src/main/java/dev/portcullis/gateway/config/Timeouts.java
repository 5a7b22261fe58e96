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
 * @param http2Idle    an HTTP/2 connection with no open stream is closed (GOAWAY) this long after its
 *                     last stream ended, however many PINGs or SETTINGS it sends; a new connection
 *                     must complete its first request head within {@code requestHead}. Much shorter
 *                     than {@code idle}, which is for tunnels and streams that are quiet but open
 * @param requestBodyProgress while the gateway waits for more of a request body (HTTP/1.1 or an HTTP/2
 *                     stream), the next part must arrive within this, or the request is cut ({@code 408}
 *                     when no response started): a body that stalls holds a workspace connection and,
 *                     over HTTP/1.1, a client connection. Time the workspace takes to read is not counted
 */
public record Timeouts(Duration requestHead, Duration connect, Duration responseHead, Duration idle,
                       Duration http2Idle, Duration requestBodyProgress) {
    public static final Duration DEFAULT_HTTP2_IDLE = Duration.ofSeconds(30);
    /** As nginx's {@code client_body_timeout}: the longest pause between two parts of a body. */
    public static final Duration DEFAULT_REQUEST_BODY_PROGRESS = Duration.ofSeconds(60);
    public static final Timeouts DEFAULTS = new Timeouts(
            Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofMinutes(15),
            DEFAULT_HTTP2_IDLE);

    public Timeouts {
        requirePositive(requestHead, "requestHead");
        requirePositive(connect, "connect");
        requirePositive(responseHead, "responseHead");
        requirePositive(idle, "idle");
        requirePositive(http2Idle, "http2Idle");
        requirePositive(requestBodyProgress, "requestBodyProgress");
    }

    /** With the default {@code requestBodyProgress}. */
    public Timeouts(Duration requestHead, Duration connect, Duration responseHead, Duration idle, Duration http2Idle) {
        this(requestHead, connect, responseHead, idle, http2Idle, DEFAULT_REQUEST_BODY_PROGRESS);
    }

    /** With the default {@code http2Idle} (never longer than {@code idle}). */
    public Timeouts(Duration requestHead, Duration connect, Duration responseHead, Duration idle) {
        this(requestHead, connect, responseHead, idle,
                idle == null || DEFAULT_HTTP2_IDLE.compareTo(idle) < 0 ? DEFAULT_HTTP2_IDLE : idle);
    }

    public Timeouts withHttp2Idle(Duration http2Idle) {
        return new Timeouts(requestHead, connect, responseHead, idle, http2Idle, requestBodyProgress);
    }

    public Timeouts withRequestBodyProgress(Duration requestBodyProgress) {
        return new Timeouts(requestHead, connect, responseHead, idle, http2Idle, requestBodyProgress);
    }

    private static void requirePositive(Duration value, String name) {
        requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("timeouts." + name + ": " + value + " (expected: > 0)");
        }
    }
}
