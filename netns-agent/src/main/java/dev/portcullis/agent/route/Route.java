package dev.portcullis.agent.route;

import static java.util.Objects.requireNonNull;

/** Where the gateway finds a workspace: its address on this host, and whose it is. */
public record Route(String workspaceId, String address, String host, String owner, String org) {
    public Route {
        requireNonNull(workspaceId, "workspaceId");
        requireNonNull(address, "address");
        requireNonNull(host, "host");
        requireNonNull(owner, "owner");
        requireNonNull(org, "org");
    }
}
