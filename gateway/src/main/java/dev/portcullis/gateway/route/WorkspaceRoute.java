package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;
import java.net.InetAddress;

/** Where a workspace's ports are reached: the address of its network, on which each port listens. */
public record WorkspaceRoute(String workspaceId, InetAddress address) {
    public WorkspaceRoute {
        WorkspaceId.of(workspaceId);
        requireNonNull(address, "address");
    }
}
