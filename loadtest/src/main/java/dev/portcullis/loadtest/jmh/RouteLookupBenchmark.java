package dev.portcullis.loadtest.jmh;

import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import dev.portcullis.store.replica.ShardedMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One route lookup by workspace id, as the gateway does per request, in tables of 1k, 10k and 100k
 * routes. Two key orders tell algorithm from memory: {@code same} looks one id up again and again
 * (everything it touches stays in L1, so what is left is the work of the lookup), {@code random}
 * looks ids up spread over the whole table (each lookup then also waits for memory once the table
 * outgrows the caches). {@code hashmap} is a plain {@link HashMap} of the same routes, the yardstick:
 * the sharded map should cost about the same, at every size. Ids are fresh strings, as a parsed
 * Host header gives them, so {@code equals} reads both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouteLookupBenchmark {
    private static final int KEYS = 1 << 16;

    @Param({"1000", "10000", "100000"})
    public int routes;

    @Param({"same", "random"})
    public String order;

    private ShardedMap<RouteRecord> sharded;
    private Map<String, RouteRecord> hashMap;
    private String[] keys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        Map<String, RouteRecord> entries = new HashMap<>();
        for (int i = 0; i < routes; i++) {
            String id = "ws-" + i;
            entries.put(id, new RouteRecord(id, "10.213." + (i / 250 % 250) + "." + (i % 250 + 1), "host-1", "alice", "acme",
                    Map.of(), RouteState.RUNNING, List.of(), List.of()));
        }
        sharded = ShardedMap.of(entries);
        hashMap = new HashMap<>(entries);
        SplittableRandom random = new SplittableRandom(42);
        keys = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            int workspace = order.equals("same") ? routes / 2 : random.nextInt(routes);
            keys[i] = new String(("ws-" + workspace).toCharArray());
        }
    }

    private String nextKey() {
        return keys[next++ & (KEYS - 1)];
    }

    @Benchmark
    public RouteRecord sharded() {
        return sharded.get(nextKey());
    }

    @Benchmark
    public RouteRecord hashmap() {
        return hashMap.get(nextKey());
    }
}
