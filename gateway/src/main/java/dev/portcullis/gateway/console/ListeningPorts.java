package dev.portcullis.gateway.console;

import dev.portcullis.gateway.route.WorkspaceRoute;
import java.util.SortedSet;

/**
 * The ports the console lists for a workspace ({@link KnownPorts}: discovered, shared and TLS ports);
 * tests and other sources of ports plug in here without touching the pages.
 */
@FunctionalInterface
public interface ListeningPorts {
    /** The ports of {@code route}'s workspace, ascending. */
    SortedSet<Integer> of(WorkspaceRoute route);
}
