package dev.portcullis.demo.workspace;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;

/** The demo workspace: its id, whose it is, and the port its app listens on (0: any). */
public record DemoWorkspaceSpec(WorkspaceId id, String owner, String org, int port) {
    public DemoWorkspaceSpec {
        requireNonNull(id, "id");
        requireNonNull(owner, "owner");
        requireNonNull(org, "org");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }
}
