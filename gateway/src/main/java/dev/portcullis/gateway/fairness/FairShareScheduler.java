package dev.portcullis.gateway.fairness;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node-wide bandwidth scheduler. Every tick, on its own thread, it measures each workspace's
 * demand (from its flows' budgets), allocates the capacity of the time that passed by weighted
 * max-min ({@link MaxMinAllocator}) and refills the flows' budgets, waking those that wait on
 * their own event loops. The event loops never lock: they only charge and check their flow's
 * budget. A workspace without flows for {@link #RETIRE_AFTER_NANOS} is forgotten, metrics included.
 */
public final class FairShareScheduler implements Fairness {
    private static final Logger log = LoggerFactory.getLogger(FairShareScheduler.class);
    /** A workspace's metrics outlive its last flow by this much, so a scrape sees its last rate. */
    static final long RETIRE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A late tick (a GC pause, a busy machine) hands out at most this many ticks' worth at once. */
    private static final int MAX_TICKS_CAUGHT_UP = 5;

    private final FairnessSettings settings;
    private final GatewayMetrics metrics;
    private final ConcurrentHashMap<String, WorkspaceShare> shares = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;
    private final long tickNanos;
    private long lastTickNanos;

    // Tick thread only: the workspaces seen this tick and their numbers.
    private WorkspaceShare[] seen = new WorkspaceShare[16];
    private double[] demand = new double[16];
    private double[] weight = new double[16];
    private double[] cap = new double[16];
    private double[] allocation = new double[16];

    private FairShareScheduler(FairnessSettings settings, GatewayMetrics metrics, ScheduledExecutorService ticker) {
        this.settings = settings;
        this.metrics = metrics;
        this.ticker = ticker;
        this.tickNanos = settings.tick().toNanos();
    }

    /** Starts ticking at {@code settings.tick()}. */
    public static FairShareScheduler start(FairnessSettings settings, GatewayMetrics metrics) {
        requireNonNull(settings, "settings");
        requireNonNull(metrics, "metrics");
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "portcullis-fairness");
            thread.setDaemon(true);
            thread.setPriority(Thread.MAX_PRIORITY); // a late tick is idle bandwidth
            return thread;
        });
        FairShareScheduler scheduler = new FairShareScheduler(settings, metrics, ticker);
        scheduler.lastTickNanos = System.nanoTime();
        metrics.fairnessCapacity(settings.capacity().bytesPerSecond());
        ticker.scheduleAtFixedRate(scheduler::tickSafely, scheduler.tickNanos, scheduler.tickNanos, TimeUnit.NANOSECONDS);
        log.info("Bandwidth fairness: capacity {}, tick {} ms, burst {} bytes", settings.capacity(),
                settings.tick().toMillis(), settings.burst());
        return scheduler;
    }

    /** A scheduler that ticks only when {@link #tick} is called, from {@code startNanos} on (for tests). */
    static FairShareScheduler manual(FairnessSettings settings, GatewayMetrics metrics, long startNanos) {
        FairShareScheduler scheduler = new FairShareScheduler(settings, metrics, null);
        scheduler.lastTickNanos = startNanos;
        return scheduler;
    }

    @Override
    public BandwidthGate open(String workspaceId) {
        FlowGate gate = new FlowGate(settings.burst());
        // compute() makes joining atomic with retiring: a share is only dropped while it has no flow.
        shares.compute(workspaceId, (id, share) -> {
            if (share == null) {
                share = new WorkspaceShare(id, settings.weightOf(id), settings.capOf(id), metrics.fairnessSeries(id));
            }
            share.gates.add(gate);
            share.idleTicks = 0;
            gate.share = share;
            return share;
        });
        return gate;
    }

    private void tickSafely() {
        try {
            tick(System.nanoTime());
        } catch (RuntimeException | Error e) {
            log.error("fairness tick failed; flows keep their budgets until the next", e);
        }
    }

    /** One round: demands, allocation, refills. Package-visible so tests can tick by hand. */
    void tick(long nowNanos) {
        long elapsed = Math.min(nowNanos - lastTickNanos, MAX_TICKS_CAUGHT_UP * tickNanos);
        lastTickNanos = nowNanos;
        if (elapsed <= 0) {
            return;
        }
        double seconds = elapsed / 1e9;
        int n = 0;
        for (Iterator<WorkspaceShare> it = shares.values().iterator(); it.hasNext(); ) {
            WorkspaceShare share = it.next();
            if (share.gates.isEmpty() && retire(share, elapsed)) {
                continue;
            }
            if (n == seen.length) {
                grow(n * 2);
            }
            seen[n] = share;
            demand[n] = share.collectDemand();
            weight[n] = share.weight;
            cap[n] = share.capBytesPerSecond * seconds;
            n++;
        }
        MaxMinAllocator.allocate(settings.capacity().bytesPerSecond() * seconds, n, demand, weight, cap, allocation);
        // Smoothed over about a second, so the rate gauge shows a rate, not one tick's luck.
        double smoothing = Math.min(1, seconds);
        for (int i = 0; i < n; i++) {
            WorkspaceShare share = seen[i];
            long used = share.distribute(allocation[i]);
            share.rate += smoothing * (used / seconds - share.rate);
            share.metrics.tick(used, share.rate, allocation[i] / seconds, share.wasThrottled() ? seconds : 0,
                    share.flowCount());
            seen[i] = null;
        }
    }

    private boolean retire(WorkspaceShare share, long elapsed) {
        share.idleTicks++;
        if ((long) share.idleTicks * elapsed < RETIRE_AFTER_NANOS) {
            return false;
        }
        boolean[] removed = {false};
        // The series go inside compute(), so a share created for the same workspace a moment later
        // (also inside compute) registers its series after they were removed, never before.
        shares.computeIfPresent(share.workspaceId, (id, current) -> {
            if (current == share && current.gates.isEmpty()) {
                current.metrics.remove();
                removed[0] = true;
                return null;
            }
            return current;
        });
        return removed[0];
    }

    private void grow(int size) {
        seen = Arrays.copyOf(seen, size);
        demand = Arrays.copyOf(demand, size);
        weight = Arrays.copyOf(weight, size);
        cap = Arrays.copyOf(cap, size);
        allocation = Arrays.copyOf(allocation, size);
    }

    /** Workspaces with open flows or recent ones (for tests). */
    int workspaceCount() {
        return shares.size();
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }
}
