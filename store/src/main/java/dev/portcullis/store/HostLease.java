package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease kept alive every third of its TTL, so a host's routes live exactly as long as its agent
 * does. {@link #close()} revokes it (clean shutdown: the routes go at once); a process that dies
 * without closing stops the keep-alives and the store deletes the routes when the TTL runs out.
 *
 * <p>When a keep-alive finds the lease gone (the store was unreachable longer than the TTL), the
 * lease cannot come back: {@code onLost} is told, so the owner grants a new one and writes its keys again.
 */
public final class HostLease implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HostLease.class);

    private final KeyValueStore store;
    private final long id;
    private final Duration ttl;
    private final ScheduledExecutorService timer;
    private volatile boolean lost;

    private HostLease(KeyValueStore store, long id, Duration ttl, Consumer<HostLease> onLost) {
        this.store = store;
        this.id = id;
        this.ttl = ttl;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "portcullis-lease-" + Long.toHexString(id));
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(50, ttl.toMillis() / 3);
        timer.scheduleWithFixedDelay(() -> keepAlive(onLost), period, period, TimeUnit.MILLISECONDS);
    }

    /** Grants a lease of {@code ttl} on {@code store} and starts keeping it alive. */
    public static HostLease grant(KeyValueStore store, Duration ttl, Consumer<HostLease> onLost) {
        requireNonNull(store, "store");
        requireNonNull(ttl, "ttl");
        requireNonNull(onLost, "onLost");
        return new HostLease(store, store.grantLease(ttl), ttl, onLost);
    }

    public long id() {
        return id;
    }

    public Duration ttl() {
        return ttl;
    }

    /** Whether a keep-alive found the lease gone. */
    public boolean isLost() {
        return lost;
    }

    private void keepAlive(Consumer<HostLease> onLost) {
        if (lost) {
            return;
        }
        try {
            store.keepAlive(id);
        } catch (LeaseLostException e) {
            lost = true;
            LOG.warn("{}; writing the keys again under a new lease", e.getMessage());
            timer.execute(() -> {
                onLost.accept(this);
                timer.shutdown(); // this lease is over; the owner has a new one
            });
        } catch (RuntimeException e) {
            // Unreachable for now: the lease lives on until its TTL, so keep trying.
            LOG.warn("keep-alive of lease {} failed: {}", Long.toHexString(id), e.getMessage());
        }
    }

    /** Stops the keep-alives without revoking: what a crash looks like to the store. For tests. */
    public void abandon() {
        timer.shutdownNow();
    }

    /** Revokes the lease: every key written under it is deleted now. */
    @Override
    public void close() {
        timer.shutdownNow();
        if (!lost) {
            try {
                store.revokeLease(id);
            } catch (RuntimeException e) {
                LOG.warn("cannot revoke lease {} ({}); its keys go when its TTL runs out", Long.toHexString(id), e.getMessage());
            }
        }
    }
}
