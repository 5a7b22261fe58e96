package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.etcd.EtcdStore;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import dev.portcullis.store.replica.RecordChange;
import dev.portcullis.store.replica.StoreReplica;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Route churn through the store, the way a gateway sees it: an agent writes route changes one at a
 * time; a replica (what a gateway holds) swaps in a new snapshot for each. Measures
 * <ul>
 *   <li>propagation: from just before the write to the replica's listener hearing of it, p50/p99
 *       over {@code --changes} changes, embedded and etcd;</li>
 *   <li>swap cost: building and swapping the snapshot for one change in a table of 10k and 100k routes;</li>
 *   <li>load: reading a whole table into a fresh replica (a gateway's start), and heap per route;</li>
 *   <li>lookup: one route lookup in tables of both sizes.</li>
 * </ul>
 * Prints one {@code ROUTE_CHURN ...} line per measurement and writes them all to {@code --out}.
 */
public final class RouteChurn {

    private static final Map<String, Object> RESULTS = new LinkedHashMap<>();

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        int changes = args.getInt("changes", 1000);
        int warmup = args.getInt("warmup", 200);
        long pauseMicros = args.getInt("pause-us", 2000);
        String etcd = args.get("etcd", "");

        try (KeyValueStore store = EmbeddedStore.inMemory()) {
            propagation("embedded", store, store, changes, warmup, pauseMicros);
        }
        if (!etcd.isEmpty()) {
            try (KeyValueStore writer = EtcdStore.connect(List.of(etcd), Duration.ofSeconds(5));
                 KeyValueStore reader = EtcdStore.connect(List.of(etcd), Duration.ofSeconds(5))) {
                propagation("etcd", writer, reader, changes, warmup, pauseMicros);
            }
        }
        for (int size : List.of(10_000, 100_000)) {
            table(size);
        }
        if (!etcd.isEmpty()) {
            try (KeyValueStore store = EtcdStore.connect(List.of(etcd), Duration.ofSeconds(30))) {
                etcdLoad(store, args.getInt("etcd-table", 10_000));
            }
        }

        Map<String, Object> meta = new LinkedHashMap<>(args.meta());
        meta.put("changes", changes);
        meta.put("pause_us", pauseMicros);
        meta.put("java", System.getProperty("java.version"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("meta", meta);
        out.put("results", RESULTS);
        String file = args.get("out", "");
        if (!file.isEmpty()) {
            Files.createDirectories(Path.of(file).toAbsolutePath().getParent());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(file).toFile(), out);
        }
    }

    static RouteRecord route(int workspace, int seq) {
        return new RouteRecord("bench-" + workspace, "10.213." + (workspace / 250 % 250) + "." + (workspace % 250 + 1),
                "host-1", "alice", "acme", Map.of("seq", Integer.toString(seq)), RouteState.RUNNING, List.of(), List.of());
    }

    /** Writes changes one at a time, each after the previous one reached the replica, plus a pause. */
    private static void propagation(String name, KeyValueStore writeTo, KeyValueStore readFrom, int changes, int warmup,
                                    long pauseMicros) throws Exception {
        ControlPlaneStore writer = new ControlPlaneStore(writeTo);
        Map<Integer, Long> heard = new ConcurrentHashMap<>();
        try (StoreReplica replica = new StoreReplica(readFrom, Duration.ofMillis(200), Clock.systemUTC())) {
            replica.addListener(update -> {
                long now = System.nanoTime();
                for (RecordChange change : update.changes()) {
                    if (change instanceof RecordChange.RouteChange r && r.after() != null) {
                        heard.put(Integer.parseInt(r.after().labels().get("seq")), now);
                    }
                }
            });
            replica.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!replica.health().ready()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": the replica did not connect in 30 s");
                }
                Thread.sleep(10);
            }
            Histogram latency = new Histogram(TimeUnit.SECONDS.toMicros(10), 3);
            for (int seq = 0; seq < warmup + changes; seq++) {
                long before = System.nanoTime();
                long revision = writer.putRoute(route(seq % 100, seq), KeyValueStore.ANY_REVISION);
                if (!replica.awaitRevision(revision, Duration.ofSeconds(10))) {
                    throw new IllegalStateException(name + ": change " + seq + " did not arrive in 10 s");
                }
                if (seq >= warmup) {
                    latency.recordValue(Math.max(1, TimeUnit.NANOSECONDS.toMicros(heard.get(seq) - before)));
                }
                TimeUnit.MICROSECONDS.sleep(pauseMicros);
            }
            report("propagation_" + name, Map.of(
                    "p50_us", latency.getValueAtPercentile(50), "p99_us", latency.getValueAtPercentile(99),
                    "max_us", latency.getMaxValue(), "mean_us", Math.round(latency.getMean()),
                    "count", latency.getTotalCount()));
        }
    }

    /** Swap cost, load time, heap per route and lookup cost of a replica holding {@code size} routes. */
    private static void table(int size) throws Exception {
        try (EmbeddedStore store = EmbeddedStore.inMemory()) {
            for (int i = 0; i < size; i++) {
                store.put("/portcullis/v1/routes/bench-" + i, RecordCodec.encode(route(i, 0)), KeyValueStore.ANY_REVISION, 0);
            }
            long heapBefore = usedHeapAfterGc();
            long started = System.nanoTime();
            StoreReplica replica = new StoreReplica(store, Duration.ofMillis(200), Clock.systemUTC()).start();
            while (replica.current().revision() < size) {
                Thread.sleep(1);
            }
            long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            long heapAfter = usedHeapAfterGc();

            Histogram swap = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            ControlPlaneStore writer = new ControlPlaneStore(store);
            for (int seq = 1; seq <= 1200; seq++) {
                long revision = writer.putRoute(route(seq % size, seq), KeyValueStore.ANY_REVISION);
                replica.awaitRevision(revision, Duration.ofSeconds(10));
                if (seq > 200) {
                    swap.recordValue(replica.lastSwapNanos());
                }
            }

            // Keys built beforehand: the gateway has the workspace id from the Host header already.
            String[] keys = new String[4096];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = "bench-" + (int) ((i * 2654435761L) % size);
            }
            long sink = 0;
            int lookups = 5_000_000;
            for (int round = 0; round < 3; round++) { // the last round is measured, the first two warm up
                started = System.nanoTime();
                var snapshot = replica.current();
                for (int i = 0; i < lookups; i++) {
                    RouteRecord found = snapshot.route(keys[i & 4095]);
                    sink += found == null ? 0 : 1;
                }
            }
            double lookupNanos = (System.nanoTime() - started) / (double) lookups;
            replica.close();
            report("table_" + size, Map.of(
                    "swap_p50_us", round(swap.getValueAtPercentile(50) / 1000.0),
                    "swap_p99_us", round(swap.getValueAtPercentile(99) / 1000.0),
                    "load_ms", loadMillis,
                    "heap_bytes_per_route", (heapAfter - heapBefore) / size,
                    "lookup_ns", round(lookupNanos),
                    "lookups_found", sink > 0));
        }
    }

    /** How long a fresh replica takes to read {@code size} routes from etcd (a gateway starting). */
    private static void etcdLoad(KeyValueStore store, int size) throws Exception {
        for (int i = 0; i < size; i++) {
            store.put("/portcullis/v1/routes/bench-" + i, RecordCodec.encode(route(i, 0)), KeyValueStore.ANY_REVISION, 0);
        }
        long revision = store.range("/portcullis/v1/routes/").revision();
        long started = System.nanoTime();
        try (StoreReplica replica = new StoreReplica(store, Duration.ofMillis(200), Clock.systemUTC()).start()) {
            replica.awaitRevision(revision, Duration.ofSeconds(60));
            report("etcd_load_" + size, Map.of("load_ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                    "routes", replica.current().routes().size()));
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    private static void report(String name, Map<String, Object> values) {
        Map<String, Object> sorted = new LinkedHashMap<>(new java.util.TreeMap<>(values));
        RESULTS.put(name, sorted);
        StringBuilder line = new StringBuilder("ROUTE_CHURN ").append(name);
        sorted.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        System.out.println(line);
    }
}
