package dev.portcullis.store.embedded;

import static java.util.Objects.requireNonNull;

import dev.portcullis.store.ConflictException;
import dev.portcullis.store.KeyEvent;
import dev.portcullis.store.KeyRange;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.LeaseLostException;
import dev.portcullis.store.WatchListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The store for one machine, in this process: etcd's semantics (revisions, compare-and-swap,
 * leases with TTL expiry, watches from a revision) without a server. Every change is written to
 * one file atomically before the call returns, and read back on start. Leases restart their TTL
 * on start, as etcd's do. History for watches is kept in memory for the last {@link #HISTORY}
 * changes; a watch from before that, or from before a restart, is answered with a compaction.
 */
public final class EmbeddedStore implements KeyValueStore {

    static final int HISTORY = 100_000;

    private record Entry(byte[] value, long modRevision, long lease) {}

    private static final class Lease {
        final long ttlMillis;
        long deadlineNanos;
        final Set<String> keys = new HashSet<>();

        Lease(long ttlMillis, long nowNanos) {
            this.ttlMillis = ttlMillis;
            this.deadlineNanos = nowNanos + TimeUnit.MILLISECONDS.toNanos(ttlMillis);
        }
    }

    private final Optional<StoreFile> file;
    // When leases run out: System.nanoTime, or a test's ticker.
    private final LongSupplier nanoTicker;
    private final Object lock = new Object();
    private final TreeMap<String, Entry> entries = new TreeMap<>();
    private final Map<Long, Lease> leases = new HashMap<>();
    private final ArrayDeque<KeyEvent> history = new ArrayDeque<>();
    private final List<EmbeddedWatch> watches = new CopyOnWriteArrayList<>();
    private long revision;
    private long compactedRevision;
    private long nextLeaseId = 1;
    private boolean closed;
    // One thread delivers every watch: events leave in the order they were made.
    private final ExecutorService delivery = Executors.newSingleThreadExecutor(daemon("portcullis-embedded-watch"));
    private final ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(daemon("portcullis-embedded-leases"));

    private EmbeddedStore(Optional<Path> path, LongSupplier nanoTicker) {
        this.nanoTicker = nanoTicker;
        this.file = path.map(StoreFile::lock);
        try {
            file.flatMap(StoreFile::read).ifPresent(this::load);
        } catch (RuntimeException e) {
            file.ifPresent(StoreFile::close);
            throw e;
        }
        // History before the start is gone: a watch from older revisions must reload a snapshot.
        compactedRevision = revision;
        expiry.scheduleWithFixedDelay(this::expireLeases, 50, 50, TimeUnit.MILLISECONDS);
    }

    /** A store persisted in {@code file}, read from it when it exists. */
    public static EmbeddedStore open(Path file) {
        return new EmbeddedStore(Optional.of(requireNonNull(file, "file")), System::nanoTime);
    }

    /** A store that lives only as long as this process: for tests and benchmarks. */
    public static EmbeddedStore inMemory() {
        return new EmbeddedStore(Optional.empty(), System::nanoTime);
    }

    /** As {@link #open(Path)}, with leases timed by {@code nanoTicker} (as {@link System#nanoTime}): tests move it. */
    static EmbeddedStore open(Path file, LongSupplier nanoTicker) {
        return new EmbeddedStore(Optional.of(requireNonNull(file, "file")), requireNonNull(nanoTicker, "nanoTicker"));
    }

    @Override
    public KeyRange range(String prefix) {
        synchronized (lock) {
            checkOpen();
            List<KeyValue> found = new ArrayList<>();
            for (Map.Entry<String, Entry> e : entries.tailMap(prefix, true).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                found.add(new KeyValue(e.getKey(), e.getValue().value().clone(), e.getValue().modRevision(), e.getValue().lease()));
            }
            return new KeyRange(revision, found);
        }
    }

    @Override
    public long put(String key, byte[] value, long expectedRevision, long leaseId) {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
        synchronized (lock) {
            checkOpen();
            checkExpected(key, expectedRevision);
            Lease lease = leaseId == 0 ? null : liveLease(leaseId);
            revision++;
            Entry previous = entries.put(key, new Entry(value.clone(), revision, leaseId));
            if (previous != null && previous.lease() != 0 && previous.lease() != leaseId) {
                Lease old = leases.get(previous.lease());
                if (old != null) {
                    old.keys.remove(key);
                }
            }
            if (lease != null) {
                lease.keys.add(key);
            }
            commit(List.of(KeyEvent.put(key, value.clone(), revision)));
            return revision;
        }
    }

    @Override
    public long delete(String key, long expectedRevision) {
        requireNonNull(key, "key");
        synchronized (lock) {
            checkOpen();
            checkExpected(key, expectedRevision);
            Entry removed = entries.remove(key);
            if (removed == null) {
                return revision;
            }
            revision++;
            Lease lease = leases.get(removed.lease());
            if (lease != null) {
                lease.keys.remove(key);
            }
            commit(List.of(KeyEvent.delete(key, revision)));
            return revision;
        }
    }

    private void checkExpected(String key, long expectedRevision) {
        if (expectedRevision == ANY_REVISION) {
            return;
        }
        Entry current = entries.get(key);
        long actual = current == null ? ABSENT : current.modRevision();
        if (actual != expectedRevision) {
            throw new ConflictException(key, expectedRevision, actual);
        }
    }

    @Override
    public long grantLease(Duration ttl) {
        requireNonNull(ttl, "ttl");
        if (ttl.toMillis() < 100) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: at least 100ms)");
        }
        synchronized (lock) {
            checkOpen();
            long id = nextLeaseId++;
            leases.put(id, new Lease(ttl.toMillis(), nanoTicker.getAsLong()));
            persist();
            return id;
        }
    }

    @Override
    public void keepAlive(long leaseId) {
        synchronized (lock) {
            checkOpen();
            Lease lease = liveLease(leaseId);
            lease.deadlineNanos = nanoTicker.getAsLong() + TimeUnit.MILLISECONDS.toNanos(lease.ttlMillis);
        }
    }

    /** The lease, or {@link LeaseLostException} when it is gone or past its deadline (ended here, not waiting for the reaper). */
    private Lease liveLease(long leaseId) {
        Lease lease = leases.get(leaseId);
        if (lease != null && nanoTicker.getAsLong() - lease.deadlineNanos >= 0) {
            endLease(leaseId);
            lease = null;
        }
        if (lease == null) {
            throw new LeaseLostException(leaseId);
        }
        return lease;
    }

    @Override
    public void revokeLease(long leaseId) {
        synchronized (lock) {
            if (!closed) {
                endLease(leaseId);
            }
        }
    }

    private void expireLeases() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            long now = nanoTicker.getAsLong();
            List<Long> expired = new ArrayList<>();
            leases.forEach((id, lease) -> {
                if (now - lease.deadlineNanos >= 0) {
                    expired.add(id);
                }
            });
            expired.forEach(this::endLease);
        }
    }

    // Like etcd, all keys of a lease go in one revision.
    private void endLease(long leaseId) {
        Lease lease = leases.remove(leaseId);
        if (lease == null) {
            return;
        }
        if (lease.keys.isEmpty()) {
            persist();
            return;
        }
        revision++;
        List<KeyEvent> events = new ArrayList<>();
        for (String key : lease.keys.stream().sorted().toList()) {
            entries.remove(key);
            events.add(KeyEvent.delete(key, revision));
        }
        commit(events);
    }

    /** Called under the lock after a change: persist first, then remember and deliver it. */
    private void commit(List<KeyEvent> events) {
        persist();
        history.addAll(events);
        while (history.size() > HISTORY) {
            compactedRevision = Math.max(compactedRevision, history.removeFirst().revision());
        }
        for (EmbeddedWatch watch : watches) {
            watch.offer(events);
        }
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        requireNonNull(prefix, "prefix");
        requireNonNull(listener, "listener");
        if (fromRevision < 1) {
            throw new IllegalArgumentException("fromRevision: " + fromRevision + " (expected: >= 1)");
        }
        synchronized (lock) {
            checkOpen();
            EmbeddedWatch watch = new EmbeddedWatch(prefix, listener);
            if (fromRevision <= compactedRevision) {
                long compacted = compactedRevision;
                delivery.execute(() -> watch.compacted(compacted));
                return watch;
            }
            delivery.execute(watch::connected);
            List<KeyEvent> backlog = new ArrayList<>();
            for (KeyEvent event : history) {
                if (event.revision() >= fromRevision) {
                    backlog.add(event);
                }
            }
            // Later commits reach the watch through offer, filtered by the same revision.
            watch.fromRevision = fromRevision;
            watches.add(watch);
            watch.offer(backlog);
            return watch;
        }
    }

    @Override
    public void compact(long toRevision) {
        synchronized (lock) {
            checkOpen();
            if (toRevision > revision) {
                throw new IllegalArgumentException("revision: " + toRevision + " (expected: at most the current " + revision + ")");
            }
            while (!history.isEmpty() && history.peekFirst().revision() <= toRevision) {
                history.removeFirst();
            }
            compactedRevision = Math.max(compactedRevision, toRevision);
        }
    }

    /** The store's current revision. */
    public long revision() {
        synchronized (lock) {
            return revision;
        }
    }

    private final class EmbeddedWatch implements Watch {
        private final String prefix;
        private final WatchListener listener;
        private volatile boolean open = true;
        long fromRevision;

        EmbeddedWatch(String prefix, WatchListener listener) {
            this.prefix = prefix;
            this.listener = listener;
        }

        /** Under the store lock: hands matching events to the delivery thread, in order. */
        void offer(List<KeyEvent> events) {
            List<KeyEvent> matching = new ArrayList<>();
            for (KeyEvent event : events) {
                if (event.key().startsWith(prefix) && event.revision() >= fromRevision) {
                    matching.add(event);
                }
            }
            if (!matching.isEmpty()) {
                delivery.execute(() -> {
                    if (open) {
                        listener.onEvents(List.copyOf(matching));
                    }
                });
            }
        }

        void connected() {
            if (open) {
                listener.onConnected();
            }
        }

        void compacted(long revision) {
            if (open) {
                open = false;
                listener.onCompacted(revision);
            }
        }

        @Override
        public void close() {
            open = false;
            watches.remove(this);
        }
    }

    private void persist() {
        if (file.isEmpty()) {
            return;
        }
        List<StoreFile.Key> keys = new ArrayList<>(entries.size());
        entries.forEach((key, e) -> keys.add(new StoreFile.Key(key, e.value(), e.modRevision(), e.lease())));
        List<StoreFile.Lease> fileLeases = new ArrayList<>();
        leases.forEach((id, lease) -> fileLeases.add(new StoreFile.Lease(id, lease.ttlMillis)));
        file.get().write(revision, nextLeaseId, keys, fileLeases);
    }

    private void load(StoreFile.Content content) {
        revision = content.revision();
        nextLeaseId = content.nextLeaseId();
        for (StoreFile.Lease lease : content.leases()) {
            leases.put(lease.id(), new Lease(lease.ttlMillis(), nanoTicker.getAsLong()));
        }
        for (StoreFile.Key entry : content.entries()) {
            entries.put(entry.key(), new Entry(entry.value(), entry.modRevision(), entry.lease()));
            Lease lease = leases.get(entry.lease());
            if (lease != null) {
                lease.keys.add(entry.key());
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the embedded store is closed");
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            watches.forEach(EmbeddedWatch::close);
        }
        expiry.shutdownNow();
        file.ifPresent(StoreFile::close);
        delivery.shutdown();
        try {
            delivery.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread thread = new Thread(r, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
