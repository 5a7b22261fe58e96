package dev.portcullis.store.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardedMapTest {

    @Test
    void anEditLeavesTheVersionItStartedFromUnchanged() {
        Map<String, Integer> entries = new HashMap<>();
        for (int i = 0; i < 2000; i++) {
            entries.put("ws" + i, i);
        }
        ShardedMap<Integer> first = ShardedMap.of(entries);

        ShardedMap.Editor<Integer> editor = first.edit();
        editor.put("ws1", -1);
        editor.remove("ws2");
        editor.put("new", 7);
        ShardedMap<Integer> second = editor.build();

        assertThat(first.asMap()).isEqualTo(entries);
        assertThat(first.size()).isEqualTo(2000);
        assertThat(second.get("ws1")).isEqualTo(-1);
        assertThat(second.get("ws2")).isNull();
        assertThat(second.get("new")).isEqualTo(7);
        assertThat(second.get("ws1999")).isEqualTo(1999);
        assertThat(second.size()).isEqualTo(2000);
        assertThat(second.asMap()).hasSize(2000).containsEntry("new", 7).doesNotContainKey("ws2");
    }

    @Test
    void editsAfterABuildDoNotReachTheBuiltVersion() {
        ShardedMap.Editor<Integer> editor = ShardedMap.<Integer>empty().edit();
        editor.put("a", 1);
        ShardedMap<Integer> built = editor.build();

        editor.put("a", 2);
        editor.remove("a");

        assertThat(built.get("a")).isEqualTo(1);
        assertThat(editor.build().size()).isZero();
    }

    @Test
    void removingAMissingKeyChangesNothing() {
        ShardedMap.Editor<Integer> editor = ShardedMap.of(Map.of("a", 1)).edit();

        assertThat(editor.remove("b")).isNull();
        assertThat(editor.build().size()).isEqualTo(1);
    }

    /**
     * Within one shard the keys must still differ in the low hash bits HashMap buckets them by;
     * otherwise a shard's keys share a handful of buckets and every lookup walks a tree.
     */
    @Test
    void theKeysOfAShardSpreadOverItsBuckets() {
        int keys = 100_000;
        int buckets = 1024; // a HashMap's table for about 390 keys, the size of a shard at 100k routes
        Map<Integer, Set<Integer>> bucketsByShard = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            String key = "ws-" + i;
            int hash = key.hashCode() ^ (key.hashCode() >>> 16); // as HashMap spreads it
            bucketsByShard.computeIfAbsent(ShardedMap.shardOf(key), shard -> new HashSet<>()).add(hash & (buckets - 1));
        }

        assertThat(bucketsByShard).hasSize(ShardedMap.SHARDS);
        // 390 keys thrown at random into 1024 buckets fill about 320 of them.
        assertThat(bucketsByShard.values()).allSatisfy(used -> assertThat(used.size()).isGreaterThan(200));
    }
}
