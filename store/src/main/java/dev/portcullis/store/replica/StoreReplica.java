package dev.portcullis.store.replica;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.PortShares;
import dev.portcullis.store.KeyEvent;
import dev.portcullis.store.KeyRange;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.SkippedRecords;
import dev.portcullis.store.WatchListener;
import dev.portcullis.store.record.InvalidRecordException;
import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.ShareRecord;
import dev.portcullis.store.record.StoreKeys;
import dev.portcullis.store.record.StoreRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway's copy of the store: reads a snapshot, then watches from the snapshot's revision + 1.
 * After a disconnect it watches again from the last revision it applied + 1; after a compaction it
 * reads a whole snapshot again. Events at or below the applied revision are dropped, so nothing is
 * applied twice; every watch starts right after the applied revision, so nothing is skipped.
 *
 * <p>All the work happens on one thread; the snapshot is immutable and swapped through a volatile
 * field, so {@link #current()} takes no lock and never waits on the store.
 */
public final class StoreReplica implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreReplica.class);

    private final KeyValueStore store;
    private final Duration retryDelay;
    private final Clock clock;
    private final ScheduledExecutorService worker;
    private final List<ReplicaListener> listeners = new CopyOnWriteArrayList<>();
    private final SkippedRecords skipped = new SkippedRecords();
    private final Object swapped = new Object();

    private volatile ReplicaSnapshot snapshot = ReplicaSnapshot.EMPTY;
    // The revision whose listeners have all been told: what awaitRevision waits for.
    private long notifiedRevision;
    private volatile boolean loaded;
    private volatile boolean connected;
    private volatile Instant staleSince;
    private volatile long reloads;
    private volatile long reconnects;
    private volatile long lastSwapNanos;
    private volatile boolean closed;

    // Worker thread only.
    private KeyValueStore.Watch watch;
    private long generation;

    /**
     * @param retryDelay pause before reading or watching again after a failure
     */
    public StoreReplica(KeyValueStore store, Duration retryDelay, Clock clock) {
        this.store = requireNonNull(store, "store");
        this.retryDelay = requireNonNull(retryDelay, "retryDelay");
        this.clock = requireNonNull(clock, "clock");
        this.staleSince = clock.instant();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "portcullis-store-replica");
            thread.setDaemon(true);
            return thread;
        });
        // A retry that is still waiting when the replica closes has nothing left to do.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.worker = executor;
    }

    public StoreReplica(KeyValueStore store) {
        this(store, Duration.ofMillis(500), Clock.systemUTC());
    }

    /** Starts reading; returns at once. Until the first snapshot arrives, {@link #current()} is empty. */
    public StoreReplica start() {
        worker.execute(() -> load(false));
        return this;
    }

    public void addListener(ReplicaListener listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    /** The snapshot to serve from: lock-free, never waits. */
    public ReplicaSnapshot current() {
        return snapshot;
    }

    public ReplicaHealth health() {
        return new ReplicaHealth(loaded, connected, connected ? null : staleSince, snapshot.revision(), skipped.count(),
                reloads, reconnects);
    }

    /**
     * Waits until the snapshot reflects {@code revision} and the listeners were told;
     * {@code false} when {@code timeout} passed first.
     */
    public boolean awaitRevision(long revision, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (swapped) {
            while (notifiedRevision < revision) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(swapped, left);
            }
            return true;
        }
    }

    // ---- worker thread ----

    private void load(boolean reload) {
        if (closed) {
            return;
        }
        KeyRange range;
        try {
            range = store.range(StoreKeys.ROOT);
        } catch (RuntimeException e) {
            disconnected("cannot read a snapshot", e);
            worker.schedule(() -> load(reload), retryDelay.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        if (reload) {
            reloads++;
        }
        Map<String, RouteRecord> routes = new HashMap<>();
        Map<String, Map<Integer, PortShare>> shares = new HashMap<>();
        Map<String, PolicyRecord> policies = new HashMap<>();
        for (KeyValue kv : range.entries()) {
            StoreRecord record = decode(kv.key(), kv.value(), kv.modRevision());
            switch (record) {
                case null -> { }
                case RouteRecord r -> routes.put(r.workspaceId(), r);
                case ShareRecord s -> shares.computeIfAbsent(s.workspaceId(), ws -> new HashMap<>()).put(s.port(), s.share());
                case PolicyRecord p -> policies.put(p.org(), p);
            }
        }
        Map<String, PortShares> shareMap = new HashMap<>();
        shares.forEach((ws, byPort) -> shareMap.put(ws, PortShares.of(byPort.values())));
        ReplicaSnapshot next = new ReplicaSnapshot(range.revision(), ShardedMap.of(routes), ShardedMap.of(shareMap),
                ShardedMap.of(policies));
        publish(next, SnapshotDiff.between(snapshot, next));
        loaded = true;
        startWatch();
    }

    private void startWatch() {
        if (closed) {
            return;
        }
        if (watch != null) {
            watch.close();
        }
        long myGeneration = ++generation;
        long from = snapshot.revision() + 1;
        try {
            watch = store.watch(StoreKeys.ROOT, from, new WatchListener() {
                @Override
                public void onConnected() {
                    worker.execute(() -> {
                        if (myGeneration == generation) {
                            connected = true;
                            staleSince = null;
                        }
                    });
                }

                @Override
                public void onEvents(List<KeyEvent> events) {
                    worker.execute(() -> {
                        if (myGeneration == generation) {
                            apply(events);
                        }
                    });
                }

                @Override
                public void onCompacted(long compactedRevision) {
                    worker.execute(() -> {
                        if (myGeneration == generation) {
                            LOG.warn("the store compacted history up to revision {} past our revision {}: reading a new snapshot",
                                    compactedRevision, snapshot.revision());
                            load(true);
                        }
                    });
                }

                @Override
                public void onDisconnected(Throwable cause) {
                    worker.execute(() -> {
                        if (myGeneration == generation) {
                            disconnected("the watch ended", cause);
                            resumeLater();
                        }
                    });
                }
            });
        } catch (RuntimeException e) {
            disconnected("cannot watch", e);
            resumeLater();
        }
    }

    private void resumeLater() {
        generation++; // whatever the ended watch still says is stale
        worker.schedule(() -> {
            reconnects++;
            startWatch();
        }, retryDelay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void disconnected(String what, Throwable cause) {
        if (connected || staleSince == null) {
            staleSince = clock.instant();
        }
        if (connected) {
            LOG.warn("store replica: {} ({}); serving revision {} until it is back", what, cause.getMessage(), snapshot.revision());
        }
        connected = false;
    }

    private void apply(List<KeyEvent> events) {
        long started = System.nanoTime();
        ReplicaSnapshot previous = snapshot;
        long applied = previous.revision();
        // Copy-on-write per shard: only the shards this batch touches are copied.
        ShardedMap.Editor<RouteRecord> routes = null;
        ShardedMap.Editor<PortShares> shares = null;
        ShardedMap.Editor<PolicyRecord> policies = null;
        List<RecordChange> changes = new ArrayList<>();
        long revision = applied;
        for (KeyEvent event : events) {
            if (event.revision() <= applied) {
                continue; // already in the snapshot: a replay after a resume
            }
            revision = Math.max(revision, event.revision());
            StoreKeys.ParsedKey key;
            try {
                key = StoreKeys.parse(event.key());
            } catch (InvalidRecordException e) {
                skipped.skip(event.key(), event.revision(), e);
                continue;
            }
            // An invalid value counts as no value: fail closed rather than keep serving an older one.
            StoreRecord record = event.type() == KeyEvent.Type.PUT ? decode(event.key(), event.value(), event.revision()) : null;
            switch (key.kind()) {
                case ROUTE -> {
                    if (routes == null) {
                        routes = previous.routeMap().edit();
                    }
                    RouteRecord after = (RouteRecord) record;
                    RouteRecord before = after == null ? routes.remove(key.id()) : routes.put(key.id(), after);
                    if (!Objects.equals(before, after)) {
                        changes.add(new RecordChange.RouteChange(key.id(), before, after));
                    }
                }
                case SHARE -> {
                    if (shares == null) {
                        shares = previous.shareMap().edit();
                    }
                    PortShare after = record == null ? null : ((ShareRecord) record).share();
                    PortShares found = shares.get(key.id());
                    PortShares current = found == null ? PortShares.none() : found;
                    PortShare before = current.forPort(key.port());
                    List<PortShare> others = new ArrayList<>(current.all());
                    others.removeIf(s -> s.port() == key.port());
                    if (after != null) {
                        others.add(after);
                    }
                    if (others.isEmpty()) {
                        shares.remove(key.id());
                    } else {
                        shares.put(key.id(), PortShares.of(others));
                    }
                    if (before != after) {
                        changes.add(new RecordChange.ShareChange(key.id(), key.port(), before, after));
                    }
                }
                case POLICY -> {
                    if (policies == null) {
                        policies = previous.policyMap().edit();
                    }
                    PolicyRecord after = (PolicyRecord) record;
                    PolicyRecord before = after == null ? policies.remove(key.id()) : policies.put(key.id(), after);
                    if (before != null || after != null) {
                        changes.add(new RecordChange.PolicyChange(key.id(), before, after));
                    }
                }
            }
        }
        if (revision == applied) {
            return;
        }
        ReplicaSnapshot next = new ReplicaSnapshot(revision,
                routes == null ? previous.routeMap() : routes.build(),
                shares == null ? previous.shareMap() : shares.build(),
                policies == null ? previous.policyMap() : policies.build());
        lastSwapNanos = System.nanoTime() - started;
        publish(next, changes);
    }

    /**
     * How long decoding a batch of changes, building the next snapshot and swapping it in took, the
     * last time; listeners are told after this, on the same thread. For metrics and benchmarks.
     */
    public long lastSwapNanos() {
        return lastSwapNanos;
    }

    private StoreRecord decode(String key, byte[] value, long revision) {
        try {
            return RecordCodec.decode(key, value);
        } catch (InvalidRecordException e) {
            skipped.skip(key, revision, e);
            return null;
        }
    }

    private void publish(ReplicaSnapshot next, List<RecordChange> changes) {
        ReplicaSnapshot previous = snapshot;
        snapshot = next;
        if (!changes.isEmpty()) {
            ReplicaUpdate update = new ReplicaUpdate(previous, next, changes);
            for (ReplicaListener listener : listeners) {
                try {
                    listener.onUpdate(update);
                } catch (RuntimeException e) {
                    LOG.error("a replica listener failed on revision {}", next.revision(), e);
                }
            }
        }
        synchronized (swapped) {
            notifiedRevision = next.revision();
            swapped.notifyAll();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        worker.execute(() -> {
            if (watch != null) {
                watch.close();
            }
        });
        worker.shutdown();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
