package dev.portcullis.gateway.route;

import java.util.Collection;
import java.util.HashMap;
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

    public int size() {
        return byWorkspace.size();
    }
}
