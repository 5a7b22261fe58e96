package dev.portcullis.gateway.fairness;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The capacity the last tick left unallocated, for flows that find their budget spent before the
 * next tick. Without it a new flow larger than one burst would wait for the next tick even on an
 * idle gateway. When any workspace is backlogged the allocation hands out the whole capacity and
 * nothing is left here, so the shares are untouched; whatever is left is replaced, never
 * accumulated, at every tick, so the pool never adds up to more than one tick's capacity.
 */
final class SparePool {
    private final AtomicLong bytes = new AtomicLong();

    /** Replaces what is left (scheduler thread). */
    void set(long spare) {
        bytes.set(Math.max(0, spare));
    }

    /** Takes up to {@code wanted} bytes; returns what it got (any event loop). */
    long take(long wanted) {
        while (true) {
            long left = bytes.get();
            if (left <= 0) {
                return 0;
            }
            long taken = Math.min(wanted, left);
            if (bytes.compareAndSet(left, left - taken)) {
                return taken;
            }
        }
    }

    long left() {
        return bytes.get();
    }
}
