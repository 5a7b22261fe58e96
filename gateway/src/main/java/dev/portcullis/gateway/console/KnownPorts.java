package dev.portcullis.gateway.console;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.PortShare;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The ports the console lists for a workspace, as {@code GET /api/v1/ports/<workspace>} does: those
 * something listens on (the host agent publishes them with the route), those its owner shared (a
 * share outlives a stopped server), and those its route serves over TLS. A port known to none can
 * still be shared by number from the console.
 */
public final class KnownPorts implements ListeningPorts {
    private final Supplier<AccessSnapshot> access;

    public KnownPorts(Supplier<AccessSnapshot> access) {
        this.access = requireNonNull(access, "access");
    }

    @Override
    public SortedSet<Integer> of(WorkspaceRoute route) {
        SortedSet<Integer> ports = new TreeSet<>(route.tlsPorts());
        if (route.listeningPorts() != null) {
            ports.addAll(route.listeningPorts());
        }
        for (PortShare share : access.get().sharesOf(route.workspaceId()).all()) {
            ports.add(share.port());
        }
        return ports;
    }
}
