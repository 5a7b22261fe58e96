package dev.portcullis.gateway.limits;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * How many of something each key holds, bounded per key. Counted from every event loop at once,
 * hence a concurrent map of counters.
 *
 * <p>Taking and giving back allocates nothing once a key has its counter: a counter back at zero
 * stays in the map until the next {@link #sweep} (once a second, from the descriptor sampler), so a
 * keep-alive client whose requests come one after another does not make and drop a map entry per
 * request (it did: an entry and a closure per request, 1% of the event loop's samples under load).
 * The map follows the keys that held something since the last sweep.
 */
final class KeyedCounts<K> {
    /** A swept counter: whoever still has it in hand takes a fresh one from the map. */
    private static final int RETIRED = -1;

    private final int max;
    private final ConcurrentHashMap<K, AtomicInteger> held = new ConcurrentHashMap<>();
    private final Function<K, AtomicInteger> newCounter = key -> new AtomicInteger();

    KeyedCounts(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
    }

    /** Counts one more for {@code key}, unless it already holds the most it may. */
    boolean tryAcquire(K key) {
        while (true) {
            AtomicInteger count = held.computeIfAbsent(key, newCounter);
            int current = count.get();
            if (current == RETIRED) {
                // Swept between the lookup and now; the sweep removes it from the map right after.
                Thread.onSpinWait();
                continue;
            }
            if (current >= max) {
                return false;
            }
            if (count.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Gives back one that {@link #tryAcquire} counted for {@code key}; a key that holds nothing stays at zero. */
    void release(K key) {
        AtomicInteger count = held.get(key);
        // Never swept while it holds one: only a counter at zero is retired.
        if (count != null) {
            count.getAndUpdate(current -> current > 0 ? current - 1 : current);
        }
    }

    int held(K key) {
        AtomicInteger count = held.get(key);
        return count == null ? 0 : Math.max(count.get(), 0);
    }

    int max() {
        return max;
    }

    /** Drops the counters at zero, so keys that hold nothing any more leave the map. */
    void sweep() {
        held.values().removeIf(count -> count.compareAndSet(0, RETIRED));
    }

    /** Keys in the map, held or (until the next sweep) at zero. */
    int keys() {
        return held.size();
    }
}
