package dev.portcullis.gateway.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Bounds on what one gateway accepts.
 *
 * @param maxConnections  open client connections; one more is closed at accept, before TLS
 * @param maxRequestBody  bytes of one request body; a larger one is answered 413 (0: no limit)
 * @param drainTimeout    on shutdown, how long requests in flight may take to finish before their
 *                        connections (and open tunnels) are closed
 * @param maxConnectionsPerAddress open client connections from one IP address; one more is closed
 *                        at accept, so one address cannot take all of {@code maxConnections}
 * @param maxHeaderFields header fields in one request head (HTTP/1.1 and HTTP/2, trailers
 *                        counted on their own); more is answered 431
 * @param workspaceConnections bounds on connections to workspaces and the gateway's descriptor budget
 */
public record Limits(int maxConnections, long maxRequestBody, Duration drainTimeout, int maxConnectionsPerAddress,
                     int maxHeaderFields, WorkspaceConnectionLimits workspaceConnections) {
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 256;
    public static final int DEFAULT_MAX_HEADER_FIELDS = 100;
    public static final Limits DEFAULTS = new Limits(20_000, 0, Duration.ofSeconds(10));

    public Limits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("limits.maxConnections: " + maxConnections + " (expected: >= 1)");
        }
        if (maxConnectionsPerAddress < 1) {
            throw new IllegalArgumentException("limits.maxConnectionsPerAddress: " + maxConnectionsPerAddress
                    + " (expected: >= 1)");
        }
        if (maxHeaderFields < 1) {
            throw new IllegalArgumentException("limits.maxHeaderFields: " + maxHeaderFields + " (expected: >= 1)");
        }
        if (maxRequestBody < 0) {
            throw new IllegalArgumentException("limits.maxRequestBody: " + maxRequestBody + " (expected: >= 0, 0 for no limit)");
        }
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("limits.drainTimeout: " + drainTimeout + " (expected: >= 0)");
        }
        requireNonNull(workspaceConnections, "workspaceConnections");
    }

    /** With the default per-address and header-field limits (the per-address one never above {@code maxConnections}). */
    public Limits(int maxConnections, long maxRequestBody, Duration drainTimeout) {
        this(maxConnections, maxRequestBody, drainTimeout, Math.min(maxConnections, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
                DEFAULT_MAX_HEADER_FIELDS, WorkspaceConnectionLimits.DEFAULTS);
    }

    public Limits withMaxConnectionsPerAddress(int maxConnectionsPerAddress) {
        return new Limits(maxConnections, maxRequestBody, drainTimeout, maxConnectionsPerAddress, maxHeaderFields,
                workspaceConnections);
    }

    public Limits withMaxHeaderFields(int maxHeaderFields) {
        return new Limits(maxConnections, maxRequestBody, drainTimeout, maxConnectionsPerAddress, maxHeaderFields,
                workspaceConnections);
    }

    public Limits withWorkspaceConnections(WorkspaceConnectionLimits workspaceConnections) {
        return new Limits(maxConnections, maxRequestBody, drainTimeout, maxConnectionsPerAddress, maxHeaderFields,
                workspaceConnections);
    }
}
