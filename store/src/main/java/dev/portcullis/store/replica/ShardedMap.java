package dev.portcullis.store.replica;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * An immutable map from strings, split into {@value #SHARDS} shards by hash, so that the next
 * version after one change copies one shard (about n/256 entries) instead of the whole table: a
 * full copy of 100k routes costs milliseconds and megabytes per change, a shard copy microseconds.
 * A lookup is one array index plus one hash lookup, whatever the size. Hand-written because no
 * dependency of the project has a persistent hash map, and this one is one idea in one file.
 * Public so the gateway can keep what it derives from the replica (routes ready to serve) the same way.
 */
public final class ShardedMap<V> {

    private static final int SHARD_BITS = 8;
    public static final int SHARDS = 1 << SHARD_BITS;

    private static final ShardedMap<?> EMPTY = new ShardedMap<>(emptyShards(), 0);

    private final Map<String, V>[] shards; // never mutated once this map is built
    private final int size;
    private final Map<String, V> view = new View();

    private ShardedMap(Map<String, V>[] shards, int size) {
        this.shards = shards;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <V> ShardedMap<V> empty() {
        return (ShardedMap<V>) EMPTY;
    }

    public static <V> ShardedMap<V> of(Map<String, V> entries) {
        Editor<V> editor = ShardedMap.<V>empty().edit();
        entries.forEach(editor::put);
        return editor.build();
    }

    @SuppressWarnings({"unchecked", "rawtypes"}) // no generic array creation in Java
    private static <V> Map<String, V>[] emptyShards() {
        Map<String, V>[] shards = new Map[SHARDS];
        java.util.Arrays.fill(shards, Map.of());
        return shards;
    }

    /**
     * The shard from the top bits of the key's hash, mixed (Fibonacci hashing). Not from its low bits:
     * each shard is a HashMap, which picks a bucket from the low bits of the same hash, so every key of
     * a shard would share them and pile into one or a few buckets (red-black trees of a hundred keys
     * at 100k routes: a lookup three times slower than at 10k).
     */
    static int shardOf(String key) {
        return (key.hashCode() * 0x9E3779B9) >>> (Integer.SIZE - SHARD_BITS);
    }

    public V get(String key) {
        return shards[shardOf(key)].get(key);
    }

    public int size() {
        return size;
    }

    /** A read-only {@link Map} view, for listings, diffs and equality. */
    public Map<String, V> asMap() {
        return view;
    }

    public Editor<V> edit() {
        return new Editor<>(this);
    }

    /** Builds the next version: each shard that changes is copied once, the others are shared. */
    public static final class Editor<V> {
        private final Map<String, V>[] shards;
        private final boolean[] copied = new boolean[SHARDS];
        private int size;

        private Editor(ShardedMap<V> base) {
            this.shards = base.shards.clone();
            this.size = base.size;
        }

        private Map<String, V> writable(String key) {
            int shard = shardOf(key);
            if (!copied[shard]) {
                shards[shard] = new HashMap<>(shards[shard]);
                copied[shard] = true;
            }
            return shards[shard];
        }

        public V get(String key) {
            return shards[shardOf(key)].get(key);
        }

        /** @return the value replaced, or {@code null} */
        public V put(String key, V value) {
            java.util.Objects.requireNonNull(value, "value"); // absent is absent, never a null value
            V previous = writable(key).put(key, value);
            if (previous == null) {
                size++;
            }
            return previous;
        }

        /** @return the value removed, or {@code null} */
        public V remove(String key) {
            if (!shards[shardOf(key)].containsKey(key)) {
                return null;
            }
            size--;
            return writable(key).remove(key);
        }

        public ShardedMap<V> build() {
            // Later edits must not reach into the shards the built map now owns.
            java.util.Arrays.fill(copied, false);
            return new ShardedMap<>(shards.clone(), size);
        }
    }

    private final class View extends AbstractMap<String, V> {
        @Override
        public V get(Object key) {
            return key instanceof String s ? ShardedMap.this.get(s) : null;
        }

        @Override
        public V getOrDefault(Object key, V defaultValue) {
            V value = get(key); // one lookup: values are never null
            return value != null ? value : defaultValue;
        }

        @Override
        public boolean containsKey(Object key) {
            return key instanceof String s && shards[shardOf(s)].containsKey(s);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Set<Entry<String, V>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public int size() {
                    return size;
                }

                @Override
                public Iterator<Entry<String, V>> iterator() {
                    return new Iterator<>() {
                        private int shard = -1;
                        private Iterator<Entry<String, V>> current = java.util.Collections.emptyIterator();

                        @Override
                        public boolean hasNext() {
                            while (!current.hasNext()) {
                                if (++shard >= SHARDS) {
                                    return false;
                                }
                                current = shards[shard].entrySet().iterator();
                            }
                            return true;
                        }

                        @Override
                        public Entry<String, V> next() {
                            if (!hasNext()) {
                                throw new NoSuchElementException();
                            }
                            Entry<String, V> e = current.next();
                            return Map.entry(e.getKey(), e.getValue());
                        }
                    };
                }
            };
        }
    }
}
