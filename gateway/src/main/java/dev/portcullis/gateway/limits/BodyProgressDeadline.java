package dev.portcullis.gateway.limits;

import static java.util.Objects.requireNonNull;

import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A request body must keep coming (issue 17, item 1): a body that stalls holds a workspace
 * connection, and over HTTP/1.1 a client connection too, for as long as the client likes. Only the
 * time the gateway waits for the client counts — from asking it for more until the next part
 * arrives — not the time the workspace takes to read. One timer per slow body, not one per part: a
 * part that arrives only moves a timestamp, and the timer, when it fires early, waits on for the rest.
 * Used from the request's event loop only.
 */
public final class BodyProgressDeadline {
    private final EventExecutor executor;
    private final long limitNanos;
    private final Runnable onMissed;
    private long waitingSinceNanos = -1; // -1: not waiting for the client
    private ScheduledFuture<?> timer;

    /** @param onMissed runs on {@code executor} when the client kept the gateway waiting for {@code limit} */
    public BodyProgressDeadline(EventExecutor executor, Duration limit, Runnable onMissed) {
        this.executor = requireNonNull(executor, "executor");
        this.limitNanos = requireNonNull(limit, "limit").toNanos();
        this.onMissed = requireNonNull(onMissed, "onMissed");
    }

    /** The gateway asked the client for more of the body. */
    public void waitingForClient() {
        if (waitingSinceNanos < 0) {
            waitingSinceNanos = System.nanoTime();
        }
        if (timer == null) {
            schedule(limitNanos);
        }
    }

    /** A part of the body arrived. */
    public void bodyArrived() {
        waitingSinceNanos = -1;
    }

    /** The body ended, or the request did. */
    public void stop() {
        waitingSinceNanos = -1;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void schedule(long nanos) {
        timer = executor.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (waitingSinceNanos < 0) {
            return; // not waiting now: the next waitingForClient starts a timer again
        }
        long waited = System.nanoTime() - waitingSinceNanos;
        if (waited >= limitNanos) {
            waitingSinceNanos = -1;
            onMissed.run();
        } else {
            schedule(limitNanos - waited);
        }
    }
}
