package dev.portcullis.agent.route;

import java.util.Map;

/**
 * Where the agent publishes workspace routes. Today an in-memory map or a file; the embedded store
 * and etcd (with the agent's lease) plug in here. Both calls are idempotent.
 */
public interface RouteSink {

    void publish(Route route);

    void withdraw(String workspaceId);

    /** Routes this agent has published, by workspace id. */
    Map<String, Route> published();
}
