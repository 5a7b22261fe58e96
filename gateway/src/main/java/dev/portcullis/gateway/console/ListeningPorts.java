package dev.portcullis.gateway.console;

import dev.portcullis.gateway.route.WorkspaceRoute;
import java.util.SortedSet;

/**
 * The ports the console lists for a workspace. Today {@link KnownPorts}: what its route and shares
 * name. Port discovery (the ports a workspace really listens on, published per workspace) plugs in
 * here without touching the pages.
 */
@FunctionalInterface
public interface ListeningPorts {
    /** The ports of {@code route}'s workspace, ascending. */
    SortedSet<Integer> of(WorkspaceRoute route);
}
