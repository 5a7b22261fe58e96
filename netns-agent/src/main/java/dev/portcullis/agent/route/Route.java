package dev.portcullis.agent.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.store.record.RouteRecord;
import java.util.List;
import java.util.SortedSet;

/** Where the gateway finds a workspace: its address on this host, and whose it is. */
public record Route(String workspaceId, String address, String host, String owner, String org) {
    public Route {
        requireNonNull(workspaceId, "workspaceId");
        requireNonNull(address, "address");
        requireNonNull(host, "host");
        requireNonNull(owner, "owner");
        requireNonNull(org, "org");
    }

    /** The store's record of this route: a running workspace; an empty org is no org. */
    public RouteRecord toRecord() {
        return RouteRecord.running(workspaceId, address, host, owner, org.isEmpty() ? null : org);
    }

    /** The store's record of this route with the ports listening in the workspace ({@code null}: not known yet). */
    public RouteRecord toRecord(SortedSet<Integer> listening) {
        return toRecord().withListeningPorts(listening == null ? null : List.copyOf(listening));
    }
}
