package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.Workspace;
import dev.portcullis.policy.WorkspaceId;
import java.net.InetAddress;
import java.util.Map;
import java.util.Set;

/**
 * Where a workspace's ports are reached: the address of its network, on which each port listens;
 * whether the workspace runs (a stopped one is answered 503, it may come back); which of its ports
 * serve TLS themselves (the gateway then speaks HTTPS to them); and whom it belongs to.
 *
 * @param owner the workspace as the policy sees it (owner, org, labels; its shares live apart, see
 *              {@code access.AccessSnapshot}), built once per route so that no request builds one;
 *              {@code null} when the route's publisher did not say, and then nobody may reach it
 *              while access is enforced
 * @param listeningPorts the ports something listens on in the workspace, as its host agent last saw them;
 *              {@code null} when nobody reports them (an older agent, a static route): any port is tried
 */
public record WorkspaceRoute(String workspaceId, InetAddress address, boolean running, Set<Integer> tlsPorts,
                             Workspace owner, Set<Integer> listeningPorts) {
    public WorkspaceRoute {
        WorkspaceId id = WorkspaceId.of(workspaceId);
        requireNonNull(address, "address");
        tlsPorts = Set.copyOf(tlsPorts);
        listeningPorts = listeningPorts == null ? null : Set.copyOf(listeningPorts);
        for (int port : tlsPorts) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("tlsPorts: " + port + " (expected: 1-65535)");
            }
        }
        if (owner != null && !owner.id().equals(id)) {
            throw new IllegalArgumentException("owner: describes workspace '" + owner.id() + "' (expected: '"
                    + workspaceId + "')");
        }
    }

    /** A workspace whose listening ports nobody reports. */
    public WorkspaceRoute(String workspaceId, InetAddress address, boolean running, Set<Integer> tlsPorts, Workspace owner) {
        this(workspaceId, address, running, tlsPorts, owner, null);
    }

    /** This route with the ports listening now ({@code null}: not known). */
    public WorkspaceRoute withListeningPorts(Set<Integer> listening) {
        return new WorkspaceRoute(workspaceId, address, running, tlsPorts, owner, listening);
    }

    /**
     * Whether {@code port} may have something listening: known to listen, or nobody reports the ports.
     * False only when the host agent reports the workspace's ports and this one is not among them.
     */
    public boolean mayServe(int port) {
        return listeningPorts == null || listeningPorts.contains(port);
    }

    /** A workspace whose owner is not known: reachable only while access is not enforced. */
    public WorkspaceRoute(String workspaceId, InetAddress address, boolean running, Set<Integer> tlsPorts) {
        this(workspaceId, address, running, tlsPorts, null);
    }

    /** A running workspace at {@code address} whose ports all speak plain HTTP, owner unknown. */
    public WorkspaceRoute(String workspaceId, InetAddress address) {
        this(workspaceId, address, true, Set.of(), null);
    }

    /**
     * A workspace owned by {@code ownerUserId}.
     *
     * @param org the organization it belongs to, or {@code null}
     */
    public static WorkspaceRoute owned(String workspaceId, InetAddress address, boolean running, Set<Integer> tlsPorts,
                                       String ownerUserId, String org, Map<String, String> labels) {
        Workspace.Builder owner = Workspace.builder(WorkspaceId.of(workspaceId), ownerUserId).labels(labels);
        if (org != null) {
            owner.org(org);
        }
        return new WorkspaceRoute(workspaceId, address, running, tlsPorts, owner.build());
    }
}
