package dev.portcullis.store.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
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
}
