package dev.portcullis.agent.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.HostLease;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.LeaseLostException;
import dev.portcullis.store.record.RouteRecord;
import java.time.Duration;
import java.util.Map;
import java.util.SortedSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes routes to the shared store under this host's lease: while the agent runs the lease is
 * kept alive; when the agent dies the store deletes its routes after the TTL; {@link #close()}
 * (clean shutdown) revokes the lease so they go at once. A lease that was lost (the store was
 * unreachable longer than the TTL) is replaced and every route written again.
 *
 * <p>A failed write throws and the route is not counted as published, so a create fails (and rolls
 * back) rather than leave a workspace nobody can reach, and the next reconcile retries.
 */
public final class StoreRouteSink implements RouteSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StoreRouteSink.class);

    private final ControlPlaneStore store;
    private final Duration leaseTtl;
    private final PublishedRoutes routes = new PublishedRoutes();
    private HostLease lease;

    public StoreRouteSink(ControlPlaneStore store, Duration leaseTtl) {
        this.store = requireNonNull(store, "store");
        this.leaseTtl = requireNonNull(leaseTtl, "leaseTtl");
        this.lease = grant();
    }

    private HostLease grant() {
        return store.grantLease(leaseTtl, lost -> republish());
    }

    @Override
    public synchronized void publish(Route route) {
        RouteRecord record = routes.recordOf(route);
        try {
            store.putRoute(record, lease);
        } catch (LeaseLostException e) {
            lease = grant();
            store.putRoute(record, lease);
        }
        routes.published(route);
    }

    @Override
    public synchronized void withdraw(String workspaceId) {
        store.deleteRoute(workspaceId, KeyValueStore.ANY_REVISION);
        routes.withdrawn(workspaceId);
    }

    @Override
    public synchronized boolean listening(String workspaceId, SortedSet<Integer> ports) {
        return routes.listening(workspaceId, ports, this::publish);
    }

    @Override
    public synchronized Map<String, Route> published() {
        return routes.snapshot();
    }

    /** The lease the routes are bound to now; changes when a lost lease is replaced. */
    public synchronized HostLease lease() {
        return lease;
    }

    // Called from the lease's thread when a keep-alive found the lease gone.
    private synchronized void republish() {
        if (!lease.isLost()) {
            return; // a publish already replaced it
        }
        try {
            lease = grant();
            for (Route route : routes.routes()) {
                store.putRoute(routes.recordOf(route), lease);
            }
            log.info("wrote {} routes again under a new lease", routes.routes().size());
        } catch (RuntimeException e) {
            // The next reconcile publishes whatever is missing.
            log.warn("cannot write the routes again under a new lease: {}", e.getMessage());
        }
    }

    /** Revokes the lease: this host's routes leave the store now. */
    @Override
    public synchronized void close() {
        lease.close();
        store.close();
    }
}
