package dev.portcullis.gateway.route;

import java.util.Collection;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of every workspace route. The request path only ever reads a snapshot, so
 * lookups take no lock; a change of routes builds a new table and swaps it in whole.
 */
public final class RouteTable {
    private static final RouteTable EMPTY = new RouteTable(Map.of());

    private final Map<String, WorkspaceRoute> byWorkspace;

    private RouteTable(Map<String, WorkspaceRoute> byWorkspace) {
        this.byWorkspace = byWorkspace;
    }

    public static RouteTable empty() {
        return EMPTY;
    }

    public static RouteTable of(Collection<WorkspaceRoute> routes) {
        Map<String, WorkspaceRoute> byWorkspace = new HashMap<>();
        for (WorkspaceRoute route : routes) {
            WorkspaceRoute previous = byWorkspace.putIfAbsent(route.workspaceId(), route);
            if (previous != null) {
                throw new IllegalArgumentException("workspace '" + route.workspaceId() + "' has two routes: "
                        + previous.address().getHostAddress() + " and " + route.address().getHostAddress());
            }
        }
        return new RouteTable(Map.copyOf(byWorkspace));
    }

    /** The route of {@code workspaceId}, or null when no such workspace is known. */
    public WorkspaceRoute lookup(String workspaceId) {
        return byWorkspace.get(workspaceId);
    }

    /** Every route, in no particular order. */
    public List<WorkspaceRoute> routes() {
        return List.copyOf(byWorkspace.values());
    }

    /**
     * The addresses this table reaches no longer, or no longer for a running workspace, next to
     * {@code next}: connections to them are not worth keeping.
     */
    public Set<InetAddress> addressesGoneIn(RouteTable next) {
        Set<InetAddress> gone = new HashSet<>();
        for (WorkspaceRoute route : byWorkspace.values()) {
            WorkspaceRoute after = next.lookup(route.workspaceId());
            if (after == null || !after.address().equals(route.address()) || !after.running()) {
                gone.add(route.address());
            }
        }
        for (WorkspaceRoute route : next.byWorkspace.values()) {
            gone.remove(route.address()); // still (or now) the address of some workspace
        }
        return gone;
    }

    public int size() {
        return byWorkspace.size();
    }
}
