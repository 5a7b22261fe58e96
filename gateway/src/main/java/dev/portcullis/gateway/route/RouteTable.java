package dev.portcullis.gateway.route;

import java.util.ArrayList;
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
 *
 * <p>A table may lie over another immutable map ({@link #over}): its own routes win, the map
 * below answers the rest. That lets the store's routes, kept in a map that copies only the part a
 * change touches, be served without building a whole table per change.
 */
public final class RouteTable {
    private static final RouteTable EMPTY = new RouteTable(Map.of(), Map.of());

    private final Map<String, WorkspaceRoute> byWorkspace;
    private final Map<String, WorkspaceRoute> below;

    private RouteTable(Map<String, WorkspaceRoute> byWorkspace, Map<String, WorkspaceRoute> below) {
        this.byWorkspace = byWorkspace;
        this.below = below;
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
        return new RouteTable(Map.copyOf(byWorkspace), Map.of());
    }

    /**
     * This table's routes over {@code below}, which must not change once passed: a workspace in both
     * is routed by this table.
     */
    public RouteTable over(Map<String, WorkspaceRoute> below) {
        return new RouteTable(byWorkspace, below);
    }

    /** The route of {@code workspaceId}, or null when no such workspace is known. */
    public WorkspaceRoute lookup(String workspaceId) {
        WorkspaceRoute route = byWorkspace.get(workspaceId);
        return route != null ? route : below.get(workspaceId);
    }

    /** Every route, in no particular order. */
    public List<WorkspaceRoute> routes() {
        List<WorkspaceRoute> routes = new ArrayList<>(byWorkspace.values());
        below.forEach((workspaceId, route) -> {
            if (!byWorkspace.containsKey(workspaceId)) {
                routes.add(route);
            }
        });
        return List.copyOf(routes);
    }

    /**
     * The addresses this table reaches no longer, or no longer for a running workspace, next to
     * {@code next}: connections to them are not worth keeping.
     */
    public Set<InetAddress> addressesGoneIn(RouteTable next) {
        Set<InetAddress> gone = new HashSet<>();
        for (WorkspaceRoute route : routes()) {
            WorkspaceRoute after = next.lookup(route.workspaceId());
            if (after == null || !after.address().equals(route.address()) || !after.running()) {
                gone.add(route.address());
            }
        }
        for (WorkspaceRoute route : next.routes()) {
            gone.remove(route.address()); // still (or now) the address of some workspace
        }
        return gone;
    }

    public int size() {
        if (below.isEmpty()) {
            return byWorkspace.size();
        }
        int shadowed = 0;
        for (String workspaceId : byWorkspace.keySet()) {
            if (below.containsKey(workspaceId)) {
                shadowed++;
            }
        }
        return byWorkspace.size() + below.size() - shadowed;
    }
}
