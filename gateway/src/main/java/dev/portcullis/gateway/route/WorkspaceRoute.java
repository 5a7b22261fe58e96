package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;
import java.net.InetAddress;

/**
 * Where a workspace's ports are reached: the address of its network, on which each port listens,
 * and whether the workspace runs (a stopped one is answered 503, it may come back).
 */
public record WorkspaceRoute(String workspaceId, InetAddress address, boolean running) {
    public WorkspaceRoute {
        WorkspaceId.of(workspaceId);
        requireNonNull(address, "address");
    }

    /** A running workspace at {@code address}. */
    public WorkspaceRoute(String workspaceId, InetAddress address) {
        this(workspaceId, address, true);
    }
}
