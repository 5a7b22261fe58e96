package dev.portcullis.agent.route;

import java.util.Map;
import java.util.SortedSet;

/**
 * Where the agent publishes workspace routes. Today an in-memory map or a file; the embedded store
 * and etcd (with the agent's lease) plug in here. Both calls are idempotent.
 */
public interface RouteSink {

    void publish(Route route);

    void withdraw(String workspaceId);

    /** Routes this agent has published, by workspace id. */
    Map<String, Route> published();

    /**
     * Publishes the TCP ports listening in a workspace, with its route, when they differ from the ones
     * published. A workspace without a published route is left alone (its delete won the race). Later
     * publishes of the route carry the same ports; a withdraw forgets them.
     *
     * @return whether the route was written again
     */
    default boolean listening(String workspaceId, SortedSet<Integer> ports) {
        return false; // this sink does not carry ports: the gateway tries any port, as before
    }
}
