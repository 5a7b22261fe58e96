package dev.portcullis.gateway.limits;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How many of something each key holds, bounded per key. Counted from every event loop at once,
 * hence the concurrent map; a key's entry goes when its count is back to zero, so the map follows
 * the keys that hold something.
 */
final class KeyedCounts<K> {
    private final int max;
    private final ConcurrentHashMap<K, Integer> held = new ConcurrentHashMap<>();

    KeyedCounts(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
    }

    /** Counts one more for {@code key}, unless it already holds the most it may. */
    boolean tryAcquire(K key) {
        AtomicBoolean acquired = new AtomicBoolean();
        held.compute(key, (k, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            acquired.set(true);
            return current + 1;
        });
        return acquired.get();
    }

    void release(K key) {
        held.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
    }

    int held(K key) {
        return held.getOrDefault(key, 0);
    }

    int max() {
        return max;
    }
}
