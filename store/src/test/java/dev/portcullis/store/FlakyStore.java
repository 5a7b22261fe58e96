package dev.portcullis.store;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A store whose reader can be cut off: {@link #cut()} ends every watch with a disconnect and fails
 * reads and new watches until {@link #restore()}. Writes through the inner store go on meanwhile,
 * which is what a gateway partitioned from a healthy store sees.
 */
public final class FlakyStore implements KeyValueStore {

    private final KeyValueStore inner;
    private final AtomicBoolean cut = new AtomicBoolean();
    private final Set<CuttableWatch> watches = ConcurrentHashMap.newKeySet();

    public FlakyStore(KeyValueStore inner) {
        this.inner = inner;
    }

    public void cut() {
        cut.set(true);
        for (CuttableWatch watch : watches) {
            watch.cutOff();
        }
    }

    public void restore() {
        cut.set(false);
    }

    private void checkReachable() {
        if (cut.get()) {
            throw new StoreUnavailableException("cut off by the test", null);
        }
    }

    @Override
    public KeyRange range(String prefix) {
        checkReachable();
        return inner.range(prefix);
    }

    @Override
    public long put(String key, byte[] value, long expectedRevision, long leaseId) {
        checkReachable();
        return inner.put(key, value, expectedRevision, leaseId);
    }

    @Override
    public long delete(String key, long expectedRevision) {
        checkReachable();
        return inner.delete(key, expectedRevision);
    }

    @Override
    public long grantLease(Duration ttl) {
        checkReachable();
        return inner.grantLease(ttl);
    }

    @Override
    public void keepAlive(long leaseId) {
        checkReachable();
        inner.keepAlive(leaseId);
    }

    @Override
    public void revokeLease(long leaseId) {
        checkReachable();
        inner.revokeLease(leaseId);
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
        checkReachable();
        CuttableWatch watch = new CuttableWatch(listener);
        watch.inner = inner.watch(prefix, fromRevision, watch);
        watches.add(watch);
        return watch;
    }

    @Override
    public void compact(long revision) {
        inner.compact(revision);
    }

    @Override
    public void close() {
        inner.close();
    }

    private final class CuttableWatch implements Watch, WatchListener {
        private final WatchListener listener;
        private final AtomicBoolean ended = new AtomicBoolean();
        volatile Watch inner;

        CuttableWatch(WatchListener listener) {
            this.listener = listener;
        }

        void cutOff() {
            if (ended.compareAndSet(false, true)) {
                inner.close();
                watches.remove(this);
                listener.onDisconnected(new StoreUnavailableException("cut off by the test", null));
            }
        }

        @Override
        public void onConnected() {
            if (!ended.get()) {
                listener.onConnected();
            }
        }

        @Override
        public void onEvents(List<KeyEvent> events) {
            if (!ended.get()) {
                listener.onEvents(events);
            }
        }

        @Override
        public void onCompacted(long compactedRevision) {
            if (ended.compareAndSet(false, true)) {
                listener.onCompacted(compactedRevision);
            }
        }

        @Override
        public void onDisconnected(Throwable cause) {
            if (ended.compareAndSet(false, true)) {
                listener.onDisconnected(cause);
            }
        }

        @Override
        public void close() {
            ended.set(true);
            watches.remove(this);
            inner.close();
        }
    }
}
