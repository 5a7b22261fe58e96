package dev.portcullis.agent.route;

import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

/** Routes in a map: for tests and for a single host whose gateway asks the agent directly. */
public final class InMemoryRouteSink implements RouteSink {

    private final Map<String, Route> routes = new TreeMap<>();
    private final Map<String, SortedSet<Integer>> listening = new TreeMap<>();

    @Override
    public synchronized void publish(Route route) {
        routes.put(route.workspaceId(), route);
    }

    @Override
    public synchronized void withdraw(String workspaceId) {
        routes.remove(workspaceId);
        listening.remove(workspaceId);
    }

    @Override
    public synchronized boolean listening(String workspaceId, SortedSet<Integer> ports) {
        if (!routes.containsKey(workspaceId) || ports.equals(listening.get(workspaceId))) {
            return false;
        }
        listening.put(workspaceId, ports);
        return true;
    }

    @Override
    public synchronized Map<String, Route> published() {
        return Map.copyOf(routes);
    }
}
