package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;
import java.net.InetAddress;
import java.util.Set;

/**
 * Where a workspace's ports are reached: the address of its network, on which each port listens;
 * whether the workspace runs (a stopped one is answered 503, it may come back); and which of its
 * ports serve TLS themselves (the gateway then speaks HTTPS to them).
 */
public record WorkspaceRoute(String workspaceId, InetAddress address, boolean running, Set<Integer> tlsPorts) {
    public WorkspaceRoute {
        WorkspaceId.of(workspaceId);
        requireNonNull(address, "address");
        tlsPorts = Set.copyOf(tlsPorts);
        for (int port : tlsPorts) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("tlsPorts: " + port + " (expected: 1-65535)");
            }
        }
    }

    /** A running workspace at {@code address} whose ports all speak plain HTTP. */
    public WorkspaceRoute(String workspaceId, InetAddress address) {
        this(workspaceId, address, true, Set.of());
    }
}
