package dev.portcullis.gateway.store;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessRecords;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.route.RouteGuard;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.replica.ReplicaHealth;
import dev.portcullis.store.replica.StoreReplica;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's link to the shared store: the replica it serves from, the {@link StoreView} of
 * routes and access built from it, the admin API's records, and readiness. Open access is
 * re-decided off the replica's thread, so a slow re-decision never delays the next update.
 */
public final class StoreConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreConnection.class);

    private final ControlPlaneStore store;
    private final StoreReplica replica;
    private final StoreView view;
    private final ExecutorService revalidation;
    private final Clock clock;
    private final AccessRecords accessRecords;

    private StoreConnection(ControlPlaneStore store, StoreReplica replica, StoreView view, ExecutorService revalidation,
                            Clock clock) {
        this.store = store;
        this.replica = replica;
        this.view = view;
        this.revalidation = revalidation;
        this.clock = clock;
        this.accessRecords = new StoreAccessRecords(store, replica, view::access);
    }

    /**
     * Opens the store and starts the replica, waiting up to {@code firstLoad} for the first snapshot;
     * when it has not come by then the gateway starts anyway, not ready, and serves it when it comes.
     *
     * @param addressesGone   told the addresses no route leads to any more
     * @param revalidate      re-decides open access; run after each update that may narrow it, on a
     *                        thread of its own, once for any number of updates that came meanwhile
     * @param guard           refuses route records outside the workspace networks or into the gateway's host
     */
    public static StoreConnection open(StoreSettings settings, RouteTable staticRoutes, OrgPolicy fallback,
                                       Duration firstLoad, Consumer<Set<InetAddress>> addressesGone,
                                       Runnable revalidate, RouteGuard guard, PrometheusRegistry metrics)
            throws InterruptedException {
        requireNonNull(revalidate, "revalidate");
        ExecutorService revalidation = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "portcullis-store-revalidate");
            thread.setDaemon(true);
            return thread;
        });
        AtomicBoolean pending = new AtomicBoolean();
        Runnable accessMayNarrow = () -> {
            if (pending.compareAndSet(false, true)) {
                revalidation.execute(() -> {
                    pending.set(false); // updates from now on queue another pass, which sees them
                    try {
                        revalidate.run();
                    } catch (RuntimeException e) {
                        log.error("re-deciding open access after a store change failed", e);
                    }
                });
            }
        };
        ControlPlaneStore store = new ControlPlaneStore(settings.open());
        StoreReplica replica = new StoreReplica(store.keyValues());
        StoreView view = new StoreView(staticRoutes, fallback, addressesGone, accessMayNarrow, guard);
        replica.addListener(view);
        replica.start();
        StoreConnection connection = new StoreConnection(store, replica, view, revalidation, Clock.systemUTC());
        StoreMetrics.register(metrics, replica, Clock.systemUTC());
        long deadline = System.nanoTime() + firstLoad.toNanos();
        while (!replica.health().loaded() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (replica.health().loaded()) {
            log.info("Store: {}; serving revision {} ({})", settings, replica.current().revision(), replica.current());
        } else {
            log.warn("Store: {} has not answered within {}: starting not ready, with no routes from it yet", settings,
                    firstLoad);
        }
        return connection;
    }

    public RouteTable routes() {
        return view.routes();
    }

    public AccessSnapshot access() {
        return view.access();
    }

    /** Where the admin API writes policies and shares: into the store, compare-and-swap. */
    public AccessRecords accessRecords() {
        return accessRecords;
    }

    /** The store itself, for the hosts' route API: routes are written there, under each host's lease. */
    public ControlPlaneStore controlPlane() {
        return store;
    }

    /** Why this gateway is not ready to serve current data, or {@code null} when it is. */
    public String notReadyBecause() {
        ReplicaHealth health = replica.health();
        if (!health.loaded()) {
            return "the store has not been read yet";
        }
        if (!health.connected()) {
            Instant since = health.staleSince();
            return "the store is unreachable since " + since + " (" + Duration.between(since, clock.instant()).toSeconds()
                    + "s): serving revision " + health.revision() + ", changes since then are not seen";
        }
        return null;
    }

    @Override
    public void close() {
        replica.close();
        revalidation.shutdownNow();
        try {
            revalidation.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
