package dev.portcullis.agent.ports;

import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.route.Route;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What one scan of listening ports costs at N namespaces, against the ways that fork: {@code ip netns
 * exec NS cat /proc/net/tcp /proc/net/tcp6} and {@code ip netns exec NS ss -Htln} for every namespace,
 * each batched in one shell per scan. Builds N namespaces named {@code pcports-bench-<i>} with one
 * sleeping process each (a workspace's process) and one listener in every tenth, and removes them at
 * the end. Root only; run under {@code flock /tmp/portcullis-netns.lock}:
 *
 * <pre>java -cp netns-agent/target/test-classes:netns-agent/target/classes:$(cat cp.txt) \
 *     dev.portcullis.agent.ports.PortScanBenchmark 100 1000</pre>
 *
 * Prints, per N, the median of 5 runs of each method in milliseconds and the ratio to the forking ones.
 */
public final class PortScanBenchmark {
    private static final String PREFIX = "pcports-bench-";
    private static final int RUNS = Integer.getInteger("runs", 5);

    public static void main(String[] args) throws Exception {
        for (String arg : args) {
            int count = Integer.parseInt(arg);
            List<Process> keepers = new ArrayList<>();
            try {
                build(count, keepers);
                measure(count);
            } finally {
                keepers.forEach(Process::destroyForcibly);
                for (Process keeper : keepers) {
                    keeper.waitFor(10, TimeUnit.SECONDS);
                }
                batch(count, "netns delete ");
            }
        }
    }

    private static void measure(int count) throws Exception {
        InMemoryRouteSink routes = new InMemoryRouteSink();
        for (int i = 0; i < count; i++) {
            routes.publish(new Route("b" + i, "10.0.0.1", "bench", "alice", ""));
        }
        StringBuilder cat = new StringBuilder();
        StringBuilder ss = new StringBuilder();
        for (int i = 0; i < count; i++) {
            cat.append("ip netns exec ").append(PREFIX).append(i).append(" cat /proc/net/tcp /proc/net/tcp6 >/dev/null\n");
            ss.append("ip netns exec ").append(PREFIX).append(i).append(" ss -Htln >/dev/null\n");
        }
        try (ListeningPortWatcher watcher = new ListeningPortWatcher(routes, id -> PREFIX + id.value().substring(1),
                Path.of("/run/netns"))) {
            ListeningPortWatcher.ScanReport first = watcher.scanNow(); // every table read once; warms up the JIT
            long[] scan = new long[RUNS];
            long[] full = new long[RUNS];
            long[] cats = new long[RUNS];
            long[] sss = new long[RUNS];
            int listening = 0;
            for (int run = 0; run < RUNS; run++) {
                scan[run] = watcher.scanNow().nanos();
                full[run] = firstScanOf(routes, count);
                cats[run] = timeShell(cat.toString());
                sss[run] = timeShell(ss.toString());
            }
            listening = (int) watcher.ports().values().stream().filter(ports -> !ports.isEmpty()).count();
            double agent = median(scan) / 1e6;
            double fresh = median(full) / 1e6;
            double forkCat = median(cats) / 1e6;
            double forkSs = median(sss) / 1e6;
            System.out.printf("namespaces=%d (listening in %d; first scan read %d tables): agent scan, counts unchanged %.1f ms"
                    + " | agent scan reading every table %.1f ms | ip netns exec cat %.1f ms (%.1fx the full scan)"
                    + " | ip netns exec ss -Htln %.1f ms (%.1fx) | medians of %d%n", count, listening, first.tablesRead(),
                    agent, fresh, forkCat, forkCat / fresh, forkSs, forkSs / fresh, RUNS);
        }
    }

    /** A scan by a new watcher, which reads every table: what a scan costs when every namespace changed. */
    private static long firstScanOf(InMemoryRouteSink routes, int count) {
        try (ListeningPortWatcher fresh = new ListeningPortWatcher(routes, id -> PREFIX + id.value().substring(1),
                Path.of("/run/netns"))) {
            ListeningPortWatcher.ScanReport report = fresh.scanNow();
            if (report.tablesRead() != count) {
                throw new IllegalStateException("read " + report.tablesRead() + " tables (expected: " + count + ")");
            }
            return report.nanos();
        }
    }

    private static void build(int count, List<Process> keepers) throws Exception {
        batch(count, "netns add ");
        for (int i = 0; i < count; i++) {
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", PREFIX + i));
            if (i % 10 == 0) {
                // A listener: the demo probe would cost a JVM each, so a shell's nc-less listener via python.
                argv.addAll(List.of("python3", "-c",
                        "import socket,time;s=socket.socket();s.bind(('0.0.0.0',3000));s.listen();time.sleep(3600)"));
            } else {
                argv.addAll(List.of("sleep", "3600"));
            }
            keepers.add(new ProcessBuilder(argv).redirectErrorStream(true).start());
        }
        Thread.sleep(2000); // the python listeners bind
    }

    private static void batch(int count, String command) throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder();
        for (int i = 0; i < count; i++) {
            script.append(command).append(PREFIX).append(i).append('\n');
        }
        Process ip = new ProcessBuilder("ip", "-force", "-batch", "-").redirectErrorStream(true).start();
        ip.getOutputStream().write(script.toString().getBytes(StandardCharsets.US_ASCII));
        ip.getOutputStream().close();
        ip.getInputStream().readAllBytes();
        ip.waitFor();
    }

    private static long timeShell(String script) throws Exception {
        long start = System.nanoTime();
        Process sh = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        sh.getInputStream().readAllBytes();
        sh.waitFor();
        return System.nanoTime() - start;
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
