package dev.portcullis.agent.route;

import dev.portcullis.store.record.RouteRecord;
import java.util.Collection;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What a route sink has published: each workspace's route and the listening ports it was last
 * written with, so a lease that is replaced writes both again. Not thread-safe: the sinks use it
 * under their own lock.
 */
final class PublishedRoutes {
    private final Map<String, Route> routes = new TreeMap<>();
    private final Map<String, SortedSet<Integer>> listening = new TreeMap<>();

    /** The record to write for {@code route}, with the ports last reported for its workspace. */
    RouteRecord recordOf(Route route) {
        return route.toRecord(listening.get(route.workspaceId()));
    }

    void published(Route route) {
        routes.put(route.workspaceId(), route);
    }

    void withdrawn(String workspaceId) {
        routes.remove(workspaceId);
        listening.remove(workspaceId);
    }

    /**
     * Writes the workspace's route again through {@code publish} when its listening ports changed;
     * false when it has no route here or the ports are the same. A failed write keeps the ports it
     * had, so the next scan tries again, and throws.
     */
    boolean listening(String workspaceId, SortedSet<Integer> ports, Consumer<Route> publish) {
        Route route = routes.get(workspaceId);
        if (route == null || ports.equals(listening.get(workspaceId))) {
            return false;
        }
        SortedSet<Integer> before = listening.put(workspaceId, ports);
        try {
            publish.accept(route);
        } catch (RuntimeException e) {
            if (before == null) {
                listening.remove(workspaceId);
            } else {
                listening.put(workspaceId, before);
            }
            throw e;
        }
        return true;
    }

    /** The published routes, live: removing one forgets it (the next reconcile publishes it again). */
    Collection<Route> routes() {
        return routes.values();
    }

    Map<String, Route> snapshot() {
        return Map.copyOf(routes);
    }
}
