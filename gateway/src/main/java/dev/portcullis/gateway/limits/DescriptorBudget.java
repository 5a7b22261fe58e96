package dev.portcullis.gateway.limits;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.portcullis.gateway.config.WorkspaceConnectionLimits;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway's file descriptors as a budget (issue 17, item 1): client connections may use all of
 * it but a few, new workspace connections stop at the reserve, so when streams pile up workspace
 * connections, a new client is still accepted, gets its TLS handshake and a {@code 503} with
 * {@code Retry-After} instead of a handshake that never happens.
 *
 * <p>Connections are counted here as they open and close; everything else the process holds (jars,
 * logs, listeners, event loop descriptors, the store's connections) is sampled from the operating
 * system now and then ({@link #sample}), so the count never drifts far from what the kernel sees.
 */
public final class DescriptorBudget {
    /** Left to the process at the very end of the budget: a log file rolling over, a store reconnecting. */
    static final long LAST_FEW = 16;

    private final long budget;
    private final long reserve;
    private final AtomicLong connections = new AtomicLong();
    private volatile long others;

    DescriptorBudget(long budget, long reserve) {
        if (budget < 1 || reserve < 0 || reserve >= budget) {
            throw new IllegalArgumentException("budget " + budget + ", reserve " + reserve
                    + " (expected: budget >= 1 and 0 <= reserve < budget)");
        }
        this.budget = budget;
        this.reserve = reserve;
    }

    /** The configured budget, or the process limit ({@code ulimit -n}) when the config says 0. */
    static DescriptorBudget of(WorkspaceConnectionLimits limits) {
        long budget = limits.maxFileDescriptors() > 0 ? limits.maxFileDescriptors() : processLimit();
        DescriptorBudget made = new DescriptorBudget(budget, Math.min(limits.reserveFor(budget), budget - 1));
        made.sample();
        return made;
    }

    /** A new workspace connection, unless it would eat into the reserve. */
    boolean tryOpenWorkspaceConnection() {
        return tryOpen(budget - reserve);
    }

    /** A newly accepted client connection, unless only the last few descriptors are left. */
    public boolean tryOpenClientConnection() {
        return tryOpen(budget - LAST_FEW);
    }

    /** A connection counted by one of the {@code tryOpen} methods closed. */
    public void closed() {
        connections.decrementAndGet();
    }

    private boolean tryOpen(long ceiling) {
        while (true) {
            long now = connections.get();
            if (others + now + 1 > ceiling) {
                return false;
            }
            if (connections.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Reads how many descriptors the process has open and takes what it did not count as the others'. */
    void sample() {
        long open = openDescriptors();
        if (open >= 0) {
            others = Math.max(0, open - connections.get());
        }
    }

    long budget() {
        return budget;
    }

    long reserve() {
        return reserve;
    }

    /** Descriptors open as this budget sees them: its connections and the sampled rest. */
    long inUse() {
        return others + connections.get();
    }

    private static long processLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix && unix.getMaxFileDescriptorCount() > 0) {
            return unix.getMaxFileDescriptorCount();
        }
        return Long.MAX_VALUE / 2; // no such limit to read (not a Unix): only the configured limits apply
    }

    private static long openDescriptors() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean unix ? unix.getOpenFileDescriptorCount() : -1;
    }
}
