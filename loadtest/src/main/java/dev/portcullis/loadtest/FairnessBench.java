package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;
import org.HdrHistogram.Histogram;

/**
 * The fairness scenario (issue 7): backlogged downloads from several workspaces through one
 * gateway with a configured capacity, measured per workspace per second on the client side.
 *
 * <p>Phases, each run {@code --runs} times, reported as medians:
 * <ul>
 *   <li>equal: 10 workspaces of equal weight, ws0 with 50 connections, the others with 1, on the
 *       gateway with fairness ({@code fair}) and without ({@code off}); Jain's index over the
 *       whole window and over each second; meanwhile a tunnel probe in a light workspace and one
 *       in ws0;</li>
 *   <li>latency: the light workspace's tunnel probe, with the equal load switched on and off in
 *       alternating slices, on {@code fair} and on {@code off} (alone vs with the heavy ones);</li>
 *   <li>weights: workspaces w1, w2, w4 (weights 1, 2, 4 in the fair gateway's config);</li>
 *   <li>conservation: only ws1 and ws2 active; their total against the capacity;</li>
 *   <li>overhead: the equal load through a gateway with fairness on but a capacity it never reaches
 *       ({@code unbounded}) and through {@code off}, in alternating slices: throughput and gateway
 *       CPU per byte.</li>
 * </ul>
 */
public final class FairnessBench {
    private static final int WORKSPACES = 10;
    private final SSLSocketFactory tls;
    private final Args args;
    private final double seconds;
    private final double warmup;
    private final int bulkPort;
    private final int echoPort;
    private final String path;
    private final double capacity;
    private final long clockTicksPerSecond;

    private FairnessBench(Args args) throws Exception {
        this.args = args;
        this.tls = TrustedCa.sslContext(Path.of(args.get("ca"))).getSocketFactory();
        this.seconds = Double.parseDouble(args.get("seconds", "10"));
        this.warmup = Double.parseDouble(args.get("warmup", "2"));
        this.bulkPort = Integer.parseInt(args.get("bulk-port"));
        this.echoPort = Integer.parseInt(args.get("echo-port"));
        this.path = args.get("path", "/big");
        this.capacity = Double.parseDouble(args.get("capacity-bytes"));
        this.clockTicksPerSecond = Long.parseLong(args.get("clock-ticks", "100"));
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        new FairnessBench(args).run();
    }

    private record Gateway(String name, int port, long pid) {}

    private Gateway gateway(String name) {
        return new Gateway(name, Integer.parseInt(args.get(name + "-port")), Long.parseLong(args.get(name + "-pid")));
    }

    /** One phase's numbers. */
    private record Phase(Map<String, Double> bytesPerSecond, double total, double jainWhole, double[] jainPerSecond,
                         double gatewayCpuSecondsPerGigabyte, Map<String, Histogram> probes, long failures) {}

    private void run() throws Exception {
        int runs = Integer.parseInt(args.get("runs", "3"));
        int heavyConnections = Integer.parseInt(args.get("heavy-connections", "50"));
        Gateway fair = gateway("fair");
        Gateway off = gateway("off");
        Gateway unbounded = gateway("unbounded");
        Map<String, Integer> equal = new LinkedHashMap<>();
        for (int i = 0; i < WORKSPACES; i++) {
            equal.put("ws" + i, i == 0 ? heavyConnections : 1);
        }
        Map<String, List<Double>> samples = new LinkedHashMap<>();
        Map<String, List<Map<String, Double>>> perWorkspace = new LinkedHashMap<>();
        List<Map<String, Object>> runsJson = new ArrayList<>();
        double jvmWarmup = Double.parseDouble(args.get("jvm-warmup", "20"));
        if (jvmWarmup > 0) {
            log("warming the gateways' JIT: " + jvmWarmup + " s of the equal load each");
            for (Gateway gateway : List.of(fair, off, unbounded)) {
                phase("jit warm-up", gateway, equal, List.of("light", "ws0"), jvmWarmup);
            }
        }
        for (int run = 1; run <= runs; run++) {
            log("run " + run + "/" + runs);
            Map<String, Object> runJson = new LinkedHashMap<>();
            Phase equalFair = phase("equal fair", fair, equal, List.of("light", "ws0"));
            Phase equalOff = phase("equal off", off, equal, List.of("light", "ws0"));
            Histogram[] latencyFair = alternating(fair, equal);
            Histogram[] latencyOff = alternating(off, equal);
            Phase alone = probeOnly(latencyFair[0]);
            Phase withHeavy = probeOnly(latencyFair[1]);
            Phase aloneOff = probeOnly(latencyOff[0]);
            Phase withHeavyOff = probeOnly(latencyOff[1]);
            Phase weights = phase("weights", fair, Map.of("w1", 2, "w2", 2, "w4", 2), List.of());
            Phase conservation = phase("conservation", fair, Map.of("ws1", 1, "ws2", 1), List.of());
            double[] overhead = alternatingThroughput(off, unbounded, equal);

            add(samples, "jain_10s_fair", equalFair.jainWhole);
            add(samples, "jain_1s_min_fair", Arrays.stream(equalFair.jainPerSecond).min().orElse(Double.NaN));
            add(samples, "jain_1s_median_fair", median(equalFair.jainPerSecond));
            add(samples, "jain_10s_off", equalOff.jainWhole);
            add(samples, "jain_1s_min_off", Arrays.stream(equalOff.jainPerSecond).min().orElse(Double.NaN));
            add(samples, "jain_1s_median_off", median(equalOff.jainPerSecond));
            add(samples, "total_fair_MBps", equalFair.total / 1e6);
            add(samples, "total_off_MBps", equalOff.total / 1e6);
            add(samples, "ws0_share_fair", equalFair.bytesPerSecond.get("ws0") / equalFair.total);
            add(samples, "ws0_share_off", equalOff.bytesPerSecond.get("ws0") / equalOff.total);
            double weightTotal = weights.total;
            double[] targets = {1 / 7.0, 2 / 7.0, 4 / 7.0};
            String[] weighted = {"w1", "w2", "w4"};
            double worst = 0;
            for (int i = 0; i < 3; i++) {
                double share = weights.bytesPerSecond.get(weighted[i]) / weightTotal;
                add(samples, "share_" + weighted[i], share);
                worst = Math.max(worst, Math.abs(share - targets[i]) / targets[i]);
            }
            add(samples, "weights_worst_relative_error", worst);
            add(samples, "conservation_of_capacity", conservation.total / capacity);
            double aloneP99 = p99(alone.probes.get("light"));
            add(samples, "light_p99_alone_ms", aloneP99 / 1e6);
            add(samples, "light_p99_with_heavy_fair_ms", p99(withHeavy.probes.get("light")) / 1e6);
            add(samples, "light_p99_with_heavy_off_ms", p99(withHeavyOff.probes.get("light")) / 1e6);
            add(samples, "light_p99_alone_off_ms", p99(aloneOff.probes.get("light")) / 1e6);
            add(samples, "light_p50_alone_ms", p50(alone.probes.get("light")) / 1e6);
            add(samples, "light_p50_with_heavy_fair_ms", p50(withHeavy.probes.get("light")) / 1e6);
            add(samples, "light_p50_with_heavy_off_ms", p50(withHeavyOff.probes.get("light")) / 1e6);
            add(samples, "light_p50_alone_off_ms", p50(aloneOff.probes.get("light")) / 1e6);
            add(samples, "heavy_ws_tunnel_p99_fair_ms", p99(equalFair.probes.get("ws0")) / 1e6);
            add(samples, "heavy_ws_tunnel_p99_off_ms", p99(equalOff.probes.get("ws0")) / 1e6);
            add(samples, "light_p99_ratio_fair", p99(withHeavy.probes.get("light")) / aloneP99);
            add(samples, "light_p99_ratio_off", p99(withHeavyOff.probes.get("light")) / p99(aloneOff.probes.get("light")));
            add(samples, "overhead_total_off_MBps", overhead[0] / 1e6);
            add(samples, "overhead_total_unbounded_MBps", overhead[1] / 1e6);
            add(samples, "overhead_throughput_ratio", overhead[1] / overhead[0]);
            add(samples, "gateway_cpu_s_per_GB_off", overhead[2]);
            add(samples, "gateway_cpu_s_per_GB_unbounded", overhead[3]);
            add(samples, "overhead_cpu_per_byte_ratio", overhead[3] / overhead[2]);
            add(samples, "gateway_cpu_s_per_GB_fair", equalFair.gatewayCpuSecondsPerGigabyte);
            perWorkspace.computeIfAbsent("fair", k -> new ArrayList<>()).add(equalFair.bytesPerSecond);
            perWorkspace.computeIfAbsent("off", k -> new ArrayList<>()).add(equalOff.bytesPerSecond);
            runJson.put("equal_fair", describe(equalFair));
            runJson.put("equal_off", describe(equalOff));
            runJson.put("weights", describe(weights));
            runJson.put("conservation", describe(conservation));
            runJson.put("light_alone_fair", describe(alone));
            runJson.put("light_with_heavy_fair", describe(withHeavy));
            runJson.put("light_with_heavy_off", describe(withHeavyOff));
            runJson.put("alone_off", describe(aloneOff));
            runJson.put("overhead", Map.of("off_MBps", overhead[0] / 1e6, "unbounded_MBps", overhead[1] / 1e6,
                    "off_gateway_cpu_s_per_GB", overhead[2], "unbounded_gateway_cpu_s_per_GB", overhead[3]));
            runsJson.add(runJson);
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        samples.forEach((name, values) -> medians.put(name, Medians.of(values)));
        Map<String, Double> fairMedian = medianPerWorkspace(perWorkspace.get("fair"));
        Map<String, Double> offMedian = medianPerWorkspace(perWorkspace.get("off"));
        FairnessReport.print(capacity, medians, fairMedian, offMedian, runs);

        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(args.meta());
        meta.put("capacity_bytes_per_second", Double.toString(capacity));
        meta.put("seconds", Double.toString(seconds));
        meta.put("warmup_seconds", Double.toString(warmup));
        meta.put("runs", Integer.toString(runs));
        meta.put("heavy_connections", Integer.toString(heavyConnections));
        result.put("meta", meta);
        result.put("medians", medians);
        result.put("goals", FairnessReport.goals(medians));
        result.put("per_workspace_MBps_fair", scale(fairMedian));
        result.put("per_workspace_MBps_off", scale(offMedian));
        result.put("samples", samples);
        result.put("runs", runsJson);
        Path out = Path.of(args.get("out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        FairnessPlot.write(Path.of(args.get("png")), scale(fairMedian), scale(offMedian),
                medians.get("jain_10s_fair"), medians.get("jain_10s_off"));
        log("wrote " + out + " and " + args.get("png"));
    }

    private static Phase probeOnly(Histogram light) {
        return new Phase(Map.of(), 0, Double.NaN, new double[0], Double.NaN, Map.of("light", light), 0);
    }

    /**
     * The light tunnel's latency, alone and beside the heavy load, in alternating slices of
     * {@code --slice} seconds (the heavy load on in every other slice) under one continuous probe:
     * whatever else the machine does hits both halves alike. Messages sent in the first
     * {@code --settle} seconds of a slice (while the downloads start or stop) are not counted.
     *
     * @return the latencies alone, then with the heavy load
     */
    private Histogram[] alternating(Gateway gateway, Map<String, Integer> heavy) throws Exception {
        double slice = Double.parseDouble(args.get("slice", "2"));
        double settle = Double.parseDouble(args.get("settle", "0.5"));
        int slices = 2 * (int) Math.max(1, Math.round(seconds / slice));
        long sliceNanos = (long) (slice * 1e9);
        long settleNanos = (long) (settle * 1e9);
        Histogram alone = EchoProbe.newHistogram();
        Histogram withHeavy = EchoProbe.newHistogram();
        int rate = Integer.parseInt(args.get("probe-rate", "200"));
        // Slice 0 is a warm-up of the tunnel itself; then alone (odd) and heavy (even) alternate.
        EchoProbe probe = new EchoProbe(tls, gateway.port, echoPort + "-light.ws.localhost", rate, 64,
                (slices + 1) * slice, sinceStart -> {
                    long index = sinceStart / sliceNanos;
                    if (index == 0 || sinceStart % sliceNanos < settleNanos) {
                        return null;
                    }
                    return index % 2 == 1 ? alone : withHeavy;
                });
        try {
            for (int index = 1; index <= slices; index++) {
                long sliceEnd = probe.startNanos() + (index + 1) * sliceNanos;
                long sliceStart = sliceEnd - sliceNanos;
                sleepUntil(sliceStart);
                if (index % 2 == 0) {
                    List<BulkDownloads> downloads = new ArrayList<>();
                    try {
                        for (Map.Entry<String, Integer> workspace : heavy.entrySet()) {
                            downloads.add(new BulkDownloads(tls, gateway.port, bulkPort + "-" + workspace.getKey()
                                    + ".ws.localhost", path, workspace.getValue()));
                        }
                        sleepUntil(sliceEnd);
                    } finally {
                        downloads.forEach(BulkDownloads::close);
                    }
                }
            }
            probe.finish(2000);
        } finally {
            probe.close();
        }
        log(String.format(Locale.ROOT, "  %-12s %-9s light tunnel p50/p99 alone %.2f/%.2f ms, with heavy %.2f/%.2f ms",
                "alternating", gateway.name, p50(alone) / 1e6, p99(alone) / 1e6, p50(withHeavy) / 1e6, p99(withHeavy) / 1e6));
        Thread.sleep(1000);
        return new Histogram[] {alone, withHeavy};
    }

    /**
     * The same load through {@code off} and {@code unbounded} (fairness on, capacity never reached)
     * in alternating slices, so the machine's other load hits both alike.
     *
     * @return bytes/s through off, bytes/s through unbounded, gateway CPU s/GB of each
     */
    private double[] alternatingThroughput(Gateway off, Gateway unbounded, Map<String, Integer> load) throws Exception {
        double slice = Double.parseDouble(args.get("slice", "2"));
        int slices = 2 * (int) Math.max(1, Math.round(seconds / slice));
        double[] bytes = new double[2];
        double[] nanos = new double[2];
        double[] cpuSeconds = new double[2];
        for (int index = 0; index < slices; index++) {
            int which = index % 2;
            Gateway gateway = which == 0 ? off : unbounded;
            List<BulkDownloads> downloads = new ArrayList<>();
            try {
                for (Map.Entry<String, Integer> workspace : load.entrySet()) {
                    downloads.add(new BulkDownloads(tls, gateway.port, bulkPort + "-" + workspace.getKey() + ".ws.localhost",
                            path, workspace.getValue()));
                }
                Thread.sleep(500); // every connection under way
                long bytesBefore = downloads.stream().mapToLong(BulkDownloads::bytes).sum();
                long cpuBefore = cpuTicks(gateway.pid);
                long start = System.nanoTime();
                sleepUntil(start + (long) (slice * 1e9));
                bytes[which] += downloads.stream().mapToLong(BulkDownloads::bytes).sum() - bytesBefore;
                nanos[which] += System.nanoTime() - start;
                cpuSeconds[which] += (cpuTicks(gateway.pid) - cpuBefore) / (double) clockTicksPerSecond;
            } finally {
                downloads.forEach(BulkDownloads::close);
            }
            Thread.sleep(500);
        }
        double[] result = {bytes[0] / (nanos[0] / 1e9), bytes[1] / (nanos[1] / 1e9),
                cpuSeconds[0] / (bytes[0] / 1e9), cpuSeconds[1] / (bytes[1] / 1e9)};
        log(String.format(Locale.ROOT, "  %-12s off %.2f MB/s (%.3f s/GB), fairness on, unbounded %.2f MB/s (%.3f s/GB)",
                "alternating", result[0] / 1e6, result[2], result[1] / 1e6, result[3]));
        return result;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /** Starts the downloads and probes, measures per workspace per second after the warm-up, stops them. */
    private Phase phase(String name, Gateway gateway, Map<String, Integer> connections, List<String> probeWorkspaces)
            throws Exception {
        return phase(name, gateway, connections, probeWorkspaces, seconds);
    }

    private Phase phase(String name, Gateway gateway, Map<String, Integer> connections, List<String> probeWorkspaces,
                        double seconds) throws Exception {
        List<String> names = new ArrayList<>(connections.keySet());
        names.sort(null);
        List<BulkDownloads> downloads = new ArrayList<>();
        Map<String, EchoProbe> probes = new LinkedHashMap<>();
        Map<String, Histogram> histograms = new LinkedHashMap<>();
        int rate = Integer.parseInt(args.get("probe-rate", "200"));
        try {
            for (String workspace : names) {
                downloads.add(new BulkDownloads(tls, gateway.port, bulkPort + "-" + workspace + ".ws.localhost", path,
                        connections.get(workspace)));
            }
            for (String workspace : probeWorkspaces) {
                probes.put(workspace, new EchoProbe(tls, gateway.port, echoPort + "-" + workspace + ".ws.localhost",
                        rate, 64, warmup, warmup + seconds));
            }
            Thread.sleep((long) (warmup * 1000));
            int windows = (int) Math.round(seconds);
            long[][] bytes = new long[windows + 1][names.size()];
            long[] nanos = new long[windows + 1];
            long cpuBefore = cpuTicks(gateway.pid);
            long start = System.nanoTime();
            for (int w = 0; w <= windows; w++) {
                long wake = start + TimeUnit.SECONDS.toNanos(w);
                long wait = wake - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                nanos[w] = System.nanoTime();
                for (int i = 0; i < names.size(); i++) {
                    bytes[w][i] = downloads.get(i).bytes();
                }
            }
            long cpuAfter = cpuTicks(gateway.pid);
            for (Map.Entry<String, EchoProbe> probe : probes.entrySet()) {
                histograms.put(probe.getKey(), probe.getValue().finish(2000));
            }
            Map<String, Double> perWorkspace = new LinkedHashMap<>();
            double total = 0;
            double elapsed = (nanos[windows] - nanos[0]) / 1e9;
            double[] whole = new double[names.size()];
            for (int i = 0; i < names.size(); i++) {
                whole[i] = (bytes[windows][i] - bytes[0][i]) / elapsed;
                perWorkspace.put(names.get(i), whole[i]);
                total += whole[i];
            }
            double[] jainPerSecond = new double[names.isEmpty() ? 0 : windows];
            for (int w = 0; w < jainPerSecond.length; w++) {
                double[] x = new double[names.size()];
                for (int i = 0; i < names.size(); i++) {
                    x[i] = (bytes[w + 1][i] - bytes[w][i]) / ((nanos[w + 1] - nanos[w]) / 1e9);
                }
                jainPerSecond[w] = JainIndex.of(x);
            }
            long failures = downloads.stream().mapToLong(BulkDownloads::failures).sum();
            double cpuSeconds = (cpuAfter - cpuBefore) / (double) clockTicksPerSecond;
            Phase phase = new Phase(perWorkspace, total, names.isEmpty() ? Double.NaN : JainIndex.of(whole),
                    jainPerSecond, total > 0 ? cpuSeconds / (total * elapsed / 1e9) : Double.NaN, histograms, failures);
            log(String.format(Locale.ROOT, "  %-12s %-9s total %7.2f MB/s  jain %.4f  probes p99 %s  failures %d", name,
                    gateway.name, total / 1e6, phase.jainWhole, probeSummary(histograms), failures));
            return phase;
        } finally {
            downloads.forEach(BulkDownloads::close);
            probes.values().forEach(EchoProbe::close);
            Thread.sleep(1000); // the gateway closes the connections before the next phase
        }
    }

    private static String probeSummary(Map<String, Histogram> histograms) {
        StringBuilder text = new StringBuilder();
        histograms.forEach((name, h) -> text.append(name).append('=')
                .append(String.format(Locale.ROOT, "%.2fms", p99(h) / 1e6)).append(' '));
        return text.toString().trim();
    }

    private static double p50(Histogram histogram) {
        return histogram == null || histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(50);
    }

    private static double p99(Histogram histogram) {
        return histogram == null || histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(99);
    }

    private static double median(double[] values) {
        List<Double> list = new ArrayList<>();
        for (double v : values) {
            list.add(v);
        }
        return list.isEmpty() ? Double.NaN : Medians.of(list);
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
    }

    private static void add(Map<String, List<Double>> samples, String name, double value) {
        samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    private static Map<String, Double> medianPerWorkspace(List<Map<String, Double>> runs) {
        Map<String, Double> medians = new LinkedHashMap<>();
        for (String workspace : runs.get(0).keySet()) {
            medians.put(workspace, Medians.of(runs.stream().map(run -> run.get(workspace)).toList()));
        }
        return medians;
    }

    private static Map<String, Double> scale(Map<String, Double> bytesPerSecond) {
        Map<String, Double> megabytes = new LinkedHashMap<>();
        bytesPerSecond.forEach((k, v) -> megabytes.put(k, v / 1e6));
        return megabytes;
    }

    private static Map<String, Object> describe(Phase phase) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("per_workspace_MBps", scale(phase.bytesPerSecond));
        out.put("total_MBps", phase.total / 1e6);
        out.put("jain_whole", phase.jainWhole);
        out.put("jain_per_second", phase.jainPerSecond);
        out.put("gateway_cpu_s_per_GB", phase.gatewayCpuSecondsPerGigabyte);
        out.put("failures", phase.failures);
        Map<String, Object> probes = new LinkedHashMap<>();
        phase.probes.forEach((name, h) -> probes.put(name, Map.of("count", h.getTotalCount(),
                "p50_ms", h.getValueAtPercentile(50) / 1e6, "p99_ms", h.getValueAtPercentile(99) / 1e6,
                "p999_ms", h.getValueAtPercentile(99.9) / 1e6, "max_ms", h.getMaxValue() / 1e6)));
        out.put("probes", probes);
        return out;
    }

    private static void log(String message) {
        System.err.println("[fairness] " + message);
    }
}
