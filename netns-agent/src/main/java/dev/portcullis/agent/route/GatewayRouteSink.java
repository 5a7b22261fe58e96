package dev.portcullis.agent.route;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.config.GatewayRouteSettings;
import dev.portcullis.store.LeaseLostException;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes routes through a gateway's host API into the gateway's store, for a machine where the
 * gateway holds the store (embedded or etcd) and the agent has no store of its own. The routes live
 * under a lease this sink keeps alive every third of its TTL: when the agent dies the gateway's
 * store deletes them after the TTL; {@link #close()} (clean shutdown) revokes the lease so they go
 * at once. A lease the gateway calls gone (expired while the gateway was out of reach, or the
 * gateway restarted) is replaced and every route written again.
 *
 * <p>The lease is granted with the first route, not at construction. A failed write throws and the route is not counted as published: a create fails (and
 * rolls back) rather than leave a workspace nobody can reach, and the next reconcile retries.
 */
public final class GatewayRouteSink implements RouteSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayRouteSink.class);
    private static final long NO_LEASE = 0;

    private final HostRoutesClient gateway;
    private final GatewayRouteSettings settings;
    private final PublishedRoutes routes = new PublishedRoutes();
    private final ScheduledExecutorService keepAlives = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "agent-route-lease");
        thread.setDaemon(true);
        return thread;
    });
    private long lease = NO_LEASE;

    public GatewayRouteSink(GatewayRouteSettings settings, String host) {
        this.settings = requireNonNull(settings, "settings");
        this.gateway = new HostRoutesClient(settings, host);
        long period = settings.leaseTtl().toMillis() / 3;
        keepAlives.scheduleWithFixedDelay(this::keepAlive, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void publish(Route route) {
        if (lease == NO_LEASE) {
            grantAndRepublish();
        }
        try {
            gateway.put(lease, routes.recordOf(route));
        } catch (LeaseLostException e) {
            grantAndRepublish(); // every route went with the lease, not only this one
            gateway.put(lease, routes.recordOf(route));
        }
        routes.published(route);
    }

    @Override
    public synchronized void withdraw(String workspaceId) {
        gateway.delete(workspaceId);
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

    /** The lease the routes are bound to now, 0 before the first route; changes when a lost lease is replaced. */
    public synchronized long lease() {
        return lease;
    }

    private synchronized void keepAlive() {
        if (lease == NO_LEASE) {
            if (!routes.routes().isEmpty()) {
                regrant(); // a lost lease could not be replaced last time
            }
            return;
        }
        try {
            gateway.keepAlive(lease);
        } catch (LeaseLostException e) {
            log.warn("{} says this host's lease {} is gone; granting a new one and writing {} routes again",
                    settings, lease, routes.routes().size());
            regrant();
        } catch (RuntimeException e) {
            // Out of reach for now: the lease lives until its TTL, so keep trying.
            log.warn("keep-alive of lease {} at {} failed: {}", lease, settings, e.getMessage());
        }
    }

    private void regrant() {
        try {
            grantAndRepublish();
        } catch (RuntimeException failed) {
            lease = NO_LEASE; // the next keep-alive period or publish tries again
            log.warn("cannot grant a new lease at {}: {}", settings, failed.getMessage());
        }
    }

    /**
     * A new lease, and every route written under it. A route that cannot be written is forgotten, so
     * the next reconcile publishes it again.
     */
    private void grantAndRepublish() {
        lease = gateway.grant();
        for (Iterator<Route> it = routes.routes().iterator(); it.hasNext(); ) {
            Route route = it.next();
            try {
                gateway.put(lease, routes.recordOf(route));
            } catch (RuntimeException e) {
                it.remove();
                log.warn("cannot write the route of {} again: {}; the next reconcile retries", route.workspaceId(), e.getMessage());
            }
        }
        if (!routes.routes().isEmpty()) {
            log.info("wrote {} routes again under lease {} at {}", routes.routes().size(), lease, settings);
        }
    }

    /** Stops the keep-alives without revoking: what a killed agent looks like to the gateway. For tests. */
    public void abandon() {
        keepAlives.shutdownNow();
    }

    /** Revokes the lease: this host's routes leave the gateway's store now. */
    @Override
    public synchronized void close() {
        keepAlives.shutdownNow();
        if (lease != NO_LEASE) {
            gateway.revoke(lease);
            lease = NO_LEASE;
        }
    }
}
