package dev.portcullis.store.replica;

import dev.portcullis.policy.PortShares;
import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RouteRecord;
import java.util.Map;

/**
 * Every valid record as of one store revision. Immutable: a gateway thread reads it without a lock
 * while the replica builds the next one beside it and swaps the reference.
 */
public final class ReplicaSnapshot {

    static final ReplicaSnapshot EMPTY = new ReplicaSnapshot(0, ShardedMap.empty(), ShardedMap.empty(), ShardedMap.empty());

    private final long revision;
    private final ShardedMap<RouteRecord> routes;
    private final ShardedMap<PortShares> shares;
    private final ShardedMap<PolicyRecord> policies;

    ReplicaSnapshot(long revision, ShardedMap<RouteRecord> routes, ShardedMap<PortShares> shares,
                    ShardedMap<PolicyRecord> policies) {
        this.revision = revision;
        this.routes = routes;
        this.shares = shares;
        this.policies = policies;
    }

    /** The store revision this snapshot reflects: every change up to it, none after. */
    public long revision() {
        return revision;
    }

    /** The route of {@code workspaceId}, or {@code null}: the gateway answers 404. */
    public RouteRecord route(String workspaceId) {
        return routes.get(workspaceId);
    }

    /** The shares of {@code workspaceId}; {@link PortShares#none()} when it has none. */
    public PortShares shares(String workspaceId) {
        PortShares found = shares.get(workspaceId);
        return found == null ? PortShares.none() : found;
    }

    /** The policy of {@code org}, or {@code null} when the org has none. */
    public PolicyRecord policy(String org) {
        return policies.get(org);
    }

    /** Read-only views, for listings and diffs; the request path uses the lookups above. */
    public Map<String, RouteRecord> routes() {
        return routes.asMap();
    }

    public Map<String, PortShares> allShares() {
        return shares.asMap();
    }

    public Map<String, PolicyRecord> policies() {
        return policies.asMap();
    }

    ShardedMap<RouteRecord> routeMap() {
        return routes;
    }

    ShardedMap<PortShares> shareMap() {
        return shares;
    }

    ShardedMap<PolicyRecord> policyMap() {
        return policies;
    }

    @Override
    public String toString() {
        return "ReplicaSnapshot{revision=" + revision + ", routes=" + routes.size() + ", sharedWorkspaces=" + shares.size()
               + ", policies=" + policies.size() + '}';
    }
}
