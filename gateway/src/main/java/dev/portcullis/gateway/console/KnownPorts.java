package dev.portcullis.gateway.console;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.PortShare;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The ports known without asking the workspace: those its route serves over TLS and those its owner
 * shared. Until port discovery lands this is what the console lists; a port known to neither can
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
        for (PortShare share : access.get().sharesOf(route.workspaceId()).all()) {
            ports.add(share.port());
        }
        return ports;
    }
}
