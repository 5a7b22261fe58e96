package dev.portcullis.gateway.fairness;

import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One flow's budget: a token bucket in bytes that the flow's event loop drains and the scheduler
 * refills. The flow may go into debt by the one read it was allowed (its size is only known once
 * read); the debt is paid from later refills, so over time the flow gets exactly its allocation.
 *
 * <p>Threads: {@link #charge} and {@link #read} run on the flow's event loop; {@link #demand} and
 * {@link #refill} on the scheduler's thread. They meet on atomics only. A flow that found its
 * budget empty parks its context in {@link #waiting}; whichever of the two threads clears it
 * (compare-and-set) requests the read, so it happens exactly once.
 */
final class FlowGate implements BandwidthGate {
    /** The budget of a flow nobody limits (unlimited capacity and no cap): never spent. */
    static final long UNLIMITED_TOKENS = Long.MAX_VALUE / 4;

    private final long burst;
    private final AtomicLong tokens;
    // A ChannelHandlerContext to read, or a Runnable that reads (an HTTP/2 stream without a channel).
    private final AtomicReference<Object> waiting = new AtomicReference<>();
    private volatile boolean throttled;
    private volatile boolean closed;
    WorkspaceShare share; // set once when registered in its share

    // Scheduler thread only.
    private long tokensAfterRefill;
    private double bucket;

    FlowGate(long burst) {
        this.burst = burst;
        this.tokens = new AtomicLong(burst);
        this.tokensAfterRefill = burst;
        this.bucket = burst;
    }

    @Override
    public void charge(long bytes) {
        tokens.addAndGet(-bytes);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (tokens.get() > 0 || closed) {
            ctx.read();
            return;
        }
        throttled = true;
        waiting.set(ctx);
        // A refill may have come between the check and the parking, and seen nobody waiting.
        if (tokens.get() > 0 && waiting.compareAndSet(ctx, null)) {
            ctx.read();
        }
    }

    @Override
    public void read(Runnable reader) {
        if (tokens.get() > 0 || closed) {
            reader.run();
            return;
        }
        throttled = true;
        waiting.set(reader);
        if (tokens.get() > 0 && waiting.compareAndSet(reader, null)) {
            reader.run();
        }
    }

    @Override
    public void close() {
        closed = true; // a read asked for after the end (a write completing late) is not parked forever
        waiting.set(null);
        share.gates.remove(this);
    }

    /**
     * What the flow wants for the next tick: unbounded when it had to wait (it would have sent
     * more), else what tops its bucket up again (0 for an idle flow whose bucket is full).
     */
    double demand() {
        boolean wanted = throttled || waiting.get() != null;
        throttled = false;
        return wanted ? Double.POSITIVE_INFINITY : Math.max(0, bucket - tokens.get());
    }

    /** Adds {@code allocation} bytes to the budget, wakes the flow if it waits; returns bytes used since the last refill. */
    long refill(double allocation) {
        long before;
        long after;
        if (Double.isInfinite(allocation)) {
            before = tokens.getAndSet(UNLIMITED_TOKENS);
            after = UNLIMITED_TOKENS;
        } else {
            // The bucket holds two allocations (a tick's jitter) but at least a burst; never less
            // than it holds already, so an unlimited budget is not cut by a rounding.
            bucket = Math.max(burst, 2 * allocation);
            long add = (long) allocation;
            long max = (long) bucket;
            do {
                before = tokens.get();
                after = before >= max ? before : Math.min(before + add, max);
            } while (!tokens.compareAndSet(before, after));
        }
        long used = Math.max(0, tokensAfterRefill - before);
        tokensAfterRefill = after;
        if (after > 0) {
            Object parked = waiting.getAndSet(null);
            if (parked instanceof ChannelHandlerContext ctx) {
                ctx.executor().execute(ctx::read);
            } else if (parked instanceof Runnable reader) {
                reader.run(); // it hops to its own event loop
            }
        }
        return used;
    }

    /** The budget left, negative when in debt (for tests). */
    long tokens() {
        return tokens.get();
    }

    /** Whether the flow is parked right now (for tests and metrics). */
    boolean isWaiting() {
        return waiting.get() != null;
    }
}
