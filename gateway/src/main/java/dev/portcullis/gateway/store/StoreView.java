package dev.portcullis.gateway.store;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.route.RouteGuard;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import dev.portcullis.store.replica.RecordChange;
import dev.portcullis.store.replica.ReplicaListener;
import dev.portcullis.store.replica.ReplicaUpdate;
import dev.portcullis.store.replica.ShardedMap;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway serves from the store's replica, ready for the request path: the route table
 * (static routes from the config over the store's) and the access snapshot (each org's policy
 * evaluator, each workspace's shares). Both are rebuilt on the replica's thread after each update
 * and published together through one volatile field, so a request reads them without a lock.
 *
 * <p>The work per update is in proportion to the update, not to the store: a route record becomes
 * its {@link WorkspaceRoute} once, in a {@link ShardedMap} that copies only the shard it touches;
 * the shares are the replica's own sharded map; evaluators are rebuilt only for a changed policy.
 */
public final class StoreView implements ReplicaListener {
    private static final Logger log = LoggerFactory.getLogger(StoreView.class);

    /** One consistent state: the routes and the access decisions of one replica revision. */
    private record Served(long revision, RouteTable routes, AccessSnapshot access) {}

    private final RouteTable staticRoutes;
    private final PolicyEvaluator fallback;
    private final Consumer<Set<InetAddress>> addressesGone;
    private final Runnable accessMayNarrow;
    private final RouteGuard guard;

    // Replica thread only (updates arrive one at a time).
    private ShardedMap<WorkspaceRoute> routes = ShardedMap.empty();
    private Map<String, PolicyEvaluator> evaluators = Map.of();

    private volatile Served served;

    /**
     * @param staticRoutes    the config's routes: they win over the store's
     * @param fallback        the policy of orgs without one of their own
     * @param addressesGone   told the addresses a workspace left or stopped at: idle connections to them
     *                        would go nowhere
     * @param accessMayNarrow told after an update that may have taken access from someone; must not block
     * @param guard           refuses a record whose address is outside the workspace networks or the gateway's own
     */
    public StoreView(RouteTable staticRoutes, OrgPolicy fallback, Consumer<Set<InetAddress>> addressesGone,
                     Runnable accessMayNarrow, RouteGuard guard) {
        this.guard = requireNonNull(guard, "guard");
        this.staticRoutes = requireNonNull(staticRoutes, "staticRoutes");
        this.fallback = new PolicyEvaluator(requireNonNull(fallback, "fallback"));
        this.addressesGone = requireNonNull(addressesGone, "addressesGone");
        this.accessMayNarrow = requireNonNull(accessMayNarrow, "accessMayNarrow");
        this.served = new Served(0, staticRoutes, AccessSnapshot.over(Map.of(), this.fallback, Map.of()));
    }

    public RouteTable routes() {
        return served.routes();
    }

    public AccessSnapshot access() {
        return served.access();
    }

    @Override
    public void onUpdate(ReplicaUpdate update) {
        ShardedMap.Editor<WorkspaceRoute> editor = routes.edit();
        Map<String, PolicyEvaluator> nextEvaluators = null;
        Set<InetAddress> gone = new HashSet<>();
        for (RecordChange change : update.changes()) {
            switch (change) {
                case RecordChange.RouteChange(String workspaceId, RouteRecord before, RouteRecord after) -> {
                    WorkspaceRoute next = after == null ? null : toWorkspaceRoute(after);
                    WorkspaceRoute previous = next == null ? editor.remove(workspaceId) : editor.put(workspaceId, next);
                    WorkspaceRoute current = editor.get(workspaceId);
                    if (previous != null && (current == null || !current.running()
                            || !current.address().equals(previous.address()))) {
                        gone.add(previous.address());
                    }
                }
                case RecordChange.PolicyChange policy -> {
                    if (nextEvaluators == null) {
                        nextEvaluators = new HashMap<>(evaluators);
                    }
                    if (policy.after() == null) {
                        nextEvaluators.remove(policy.org());
                    } else {
                        nextEvaluators.put(policy.org(), new PolicyEvaluator(policy.after().policy()));
                    }
                }
                case RecordChange.ShareChange share -> { } // the replica's share map is served as it is
            }
        }
        routes = editor.build();
        if (nextEvaluators != null) {
            evaluators = Map.copyOf(nextEvaluators);
        }
        served = new Served(update.current().revision(), staticRoutes.over(routes.asMap()),
                AccessSnapshot.over(evaluators, fallback, update.current().allShares()));
        if (!gone.isEmpty()) {
            addressesGone.accept(gone);
        }
        if (!update.narrowing().isEmpty()) {
            accessMayNarrow.run();
        }
    }

    /**
     * Done once per record, so that no request parses an address or builds a workspace; {@code null}
     * (no route: fail closed) for a record the gateway cannot serve or whose address the guard refuses.
     */
    WorkspaceRoute toWorkspaceRoute(RouteRecord record) {
        // The record holds a validated IP literal: this parses it and never asks DNS.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(record.address());
        try {
            if (address == null) {
                throw new IllegalArgumentException("address: '" + record.address() + "' is not an IP literal");
            }
            if (!guard.admits(RouteGuard.STORE, "store route of host '" + record.host() + "'", record.workspaceId(), address)) {
                return null;
            }
            return WorkspaceRoute.owned(record.workspaceId(), address, record.state() == RouteState.RUNNING,
                    Set.copyOf(record.tlsPorts()), record.owner(), record.org(), record.labels())
                    .withListeningPorts(record.listeningPorts() == null ? null : Set.copyOf(record.listeningPorts()));
        } catch (IllegalArgumentException e) {
            log.warn("route of {} skipped: {}", record.workspaceId(), e.getMessage());
            return null;
        }
    }
}
