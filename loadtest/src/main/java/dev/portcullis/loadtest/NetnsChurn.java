package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.kernel.netlink.NfTables;
import dev.portcullis.agent.lifecycle.CreateStep;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;

/**
 * {@code loadtest/run.sh netns-churn}: the host agent's library creating and deleting workspace
 * networks (namespace, veth, addresses, sysctls, one nftables transaction, tc with a 100 Mbit/s limit,
 * route), as root, with its own prefixes and address range, beside baselines measured in the same run:
 * <ul>
 * <li>create and delete one at a time, against the kernel's own part ({@code ip netns add} + a veth
 *     pair with its peer made inside + both deletes);
 * <li>20 callers creating at once (each latency as its caller sees it), against one at a time: with
 *     the agent's spare namespaces ready (made ahead of demand, {@code --spares}, 20 by default), and
 *     again at once after, when the burst before has drained them;
 * <li>the last creates of 1000 workspaces, against the first ones of the same fill;
 * <li>where a create's time goes, step by step, in each of these phases (one at a time, all at
 *     once, the start and the end of the fill), each create timed from its own call;
 * <li>one nftables update (one workspace's elements), the first packet through the host (a fresh
 *     TCP connect from the host to a server inside a workspace) and one reconcile pass at 1000
 *     workspaces, against the same at 10 (filling and again emptying).
 * </ul>
 * Everything it builds carries its own prefixes and is removed at the end, also after a failure.
 */
public final class NetnsChurn {
    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();
    private static final int ACCEPTOR_PORT = 7000;
    private static final int SMALL_TABLE = 10;
    private static final String ONE_AT_A_TIME = "one at a time";

    private final Args args;
    private final String tag = "b" + Long.toString(ProcessHandle.current().pid() % 46656, 36);
    private final AgentConfig config;
    private final WorkspaceNetworks agent;
    private final Histogram bare = new Histogram(3);
    private final Histogram createOne = new Histogram(3);
    private final Histogram deleteOne = new Histogram(3);
    private final Histogram createAtOnce = new Histogram(3);
    private final Histogram createDrained = new Histogram(3);
    /** Spares ready at the start of the bursts: with the pool warm, and right after the burst before. */
    private long sparesAtWarmBursts;
    private long sparesAtDrainedBursts;
    private final Histogram fillFirst = new Histogram(3);
    private final Histogram fillLast = new Histogram(3);
    private final Histogram deleteFill = new Histogram(3);
    private String fillFirstName = "";
    private String fillLastName = "";
    // At 10 twice, filling and emptying, so that a change of the machine's load during the run
    // does not pass for an effect of the table's size: the 1000 is compared with their mean.
    private final Map<String, Double> atSmall = new LinkedHashMap<>();
    private final Map<String, Double> atFull = new LinkedHashMap<>();
    private final Map<String, Double> atSmallAgain = new LinkedHashMap<>();
    private final Map<Integer, Integer> rulesAt = new LinkedHashMap<>();
    private final StepTimes steps = new StepTimes();
    /** Per phase: CPU nanos of this process while its creates ran, creates, and (all at once) the bursts' wall nanos. */
    private final Map<String, long[]> cpu = new LinkedHashMap<>();

    private NetnsChurn(Args args, Path state) {
        this.args = args;
        this.config = AgentConfig.builder()
                .stateDir(state)
                .socketPath(state.resolve("agent.sock"))
                .namespacePrefix("pcb" + tag + "-")
                .interfacePrefix(tag)
                .tableName("pcb_" + tag)
                .addressRange(Ipv4Cidr.parse(args.get("range", "10.214.0.0/20")))
                .slotPrefixLength(31)
                .globalForwarding(false)
                .reconcileInterval(Duration.ofHours(1))
                .spareNamespaces(args.getInt("spares", AgentConfig.DEFAULT_SPARE_NAMESPACES))
                .hostName("netns-churn")
                .build();
        this.agent = new WorkspaceNetworks(config, COMMANDS, new InMemoryRouteSink(), steps, Clock.systemUTC());
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("netns-churn builds network namespaces: run it as root");
        }
        Path state = Files.createTempDirectory("portcullis-netns-churn");
        NetnsChurn churn = new NetnsChurn(args, state);
        try {
            churn.measure();
        } finally {
            churn.cleanUp(state);
        }
        churn.report(Path.of(args.get("out")));
    }

    private void measure() throws Exception {
        int single = args.getInt("workspaces", 100);
        int rounds = args.getInt("rounds", 2);
        int concurrent = args.getInt("concurrent", 20);
        int fill = args.getInt("fill", 1000);
        if (fill + 1 > config.addressPlan().slotCount() || fill <= SMALL_TABLE) {
            throw new IllegalArgumentException("--fill: " + fill + " (expected: " + (SMALL_TABLE + 1) + "-"
                    + (config.addressPlan().slotCount() - 1) + ", the slots of " + config.addressPlan().range() + ")");
        }
        agent.start();
        createAndDelete("warm-up", 20, null, null, null); // JIT and page cache, not recorded

        settle(); // the spare namespaces the warm-up took are made again first, not beside the bare commands
        for (int i = 0; i < args.getInt("bare", 100); i++) {
            bare.recordValue(bareNamespace(i));
        }
        for (int round = 0; round < rounds; round++) {
            settle();
            createAndDelete("one", single, createOne, deleteOne, ONE_AT_A_TIME);
        }
        for (int round = 0; round < args.getInt("concurrent-rounds", 5); round++) {
            settle();
            createAtOnce(round, concurrent);
        }
        fillAndMeasure(fill);
    }

    /**
     * Waits before a round of creates (one at a time, or all at once) for the kernel to free the
     * namespaces the round before deleted: it does that later, in a work queue that takes the same
     * locks as making a namespace, so without the pause a round measures the last round's deletes
     * as much as its own creates (the bare commands pay for their own deletes in their own loop).
     */
    private void settle() throws InterruptedException {
        Thread.sleep(args.getInt("round-settle-ms", 5000));
    }

    /**
     * User and system CPU of this whole process (every thread, the kernel work its system calls do
     * included; not the kernel's own worker threads, such as the one that frees deleted namespaces).
     */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Creates {@code count} workspaces one after another, then deletes them one after another. */
    private void createAndDelete(String name, int count, Histogram create, Histogram delete, String phase) {
        long cpuBefore = processCpuNanos();
        for (int i = 0; i < count; i++) {
            WorkspaceSpec spec = spec(name + "-" + i);
            long start = steps.start(spec.id(), phase);
            agent.create(spec);
            record(create, start);
        }
        if (phase != null) {
            cpu.computeIfAbsent(phase, any -> new long[3])[0] += processCpuNanos() - cpuBefore;
            cpu.get(phase)[1] += count;
        }
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            agent.delete(WorkspaceId.of(name + "-" + i));
            record(delete, start);
        }
    }

    private String atOncePhase() {
        return args.getInt("concurrent", 20) + " at once";
    }

    private String drainedPhase() {
        return "then " + args.getInt("concurrent", 20) + " more";
    }

    /**
     * A burst of {@code callers} creates with the spares ready (the round's pause let the pool refill),
     * then, as soon as its last create answered, a second one, which finds the pool drained by the
     * first (only what the background refill made meanwhile); then both are deleted.
     */
    private void createAtOnce(int round, int callers) throws Exception {
        sparesAtWarmBursts += agent.spareNamespaces().size();
        burst("at-once-" + round + "-", callers, createAtOnce, atOncePhase());
        sparesAtDrainedBursts += agent.spareNamespaces().size();
        burst("drained-" + round + "-", callers, createDrained, drainedPhase());
        for (int i = 0; i < callers; i++) {
            agent.delete(WorkspaceId.of("at-once-" + round + "-" + i));
            agent.delete(WorkspaceId.of("drained-" + round + "-" + i));
        }
    }

    private void burst(String prefix, int callers, Histogram into, String phase) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                WorkspaceSpec spec = spec(prefix + i);
                calls.add(pool.submit(() -> {
                    go.await();
                    long start = steps.start(spec.id(), phase);
                    agent.create(spec);
                    return (System.nanoTime() - start) / 1000;
                }));
            }
            long cpuBefore = processCpuNanos();
            long burstStart = System.nanoTime();
            go.countDown();
            for (Future<Long> call : calls) {
                into.recordValue(call.get());
            }
            long[] burst = cpu.computeIfAbsent(phase, any -> new long[3]);
            burst[0] += processCpuNanos() - cpuBefore;
            burst[1] += callers;
            burst[2] += System.nanoTime() - burstStart;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Fills the host to {@code fill} workspaces; nft updates and first packets at 10 and at {@code fill}. */
    private void fillAndMeasure(int fill) throws Exception {
        int tail = Math.max(1, Math.min(50, fill / 10));
        fillFirstName = "create #1-" + tail + " of " + fill;
        fillLastName = "create #" + (fill - tail + 1) + "-" + fill + " of " + fill;
        long firstStart = steps.start(WorkspaceId.of("fill-0"), fillFirstName);
        String target = agent.create(spec("fill-0")).address();
        record(fillFirst, firstStart);
        try (Acceptor acceptor = new Acceptor(config.namespacePrefix() + "fill-0")) {
            for (int i = 1; i < fill; i++) {
                long start = steps.start(WorkspaceId.of("fill-" + i),
                        i < tail ? fillFirstName : i >= fill - tail ? fillLastName : null);
                agent.create(spec("fill-" + i));
                record(i < tail ? fillFirst : i >= fill - tail ? fillLast : null, start);
                if (i + 1 == SMALL_TABLE) {
                    measureAt(atSmall, SMALL_TABLE, target);
                }
            }
            measureAt(atFull, fill, target);
            for (int i = fill - 1; i >= 1; i--) {
                long start = System.nanoTime();
                agent.delete(WorkspaceId.of("fill-" + i));
                record(deleteFill, start);
                if (i == SMALL_TABLE) {
                    measureAt(atSmallAgain, SMALL_TABLE, target);
                }
            }
        }
        long start = System.nanoTime();
        agent.delete(WorkspaceId.of("fill-0"));
        record(deleteFill, start);
    }

    /** The value at 1000 over the mean of the two at 10. */
    private void scaleRow(String name, String key, String unit, String goal) {
        System.out.printf("%-44s %10.2f %s %9.2f %s %10.2f %s %7.2f  %s%n", name, atSmall.get(key), unit, atFull.get(key), unit,
                atSmallAgain.get(key), unit, scaleRatio(key), goal);
    }

    private double scaleRatio(String key) {
        return atFull.get(key) / ((atSmall.get(key) + atSmallAgain.get(key)) / 2);
    }

    private void measureAt(Map<String, Double> into, int workspaces, String target) throws Exception {
        // The kernel frees deleted namespaces later, in a work queue: let that finish before timing packets.
        Thread.sleep(args.getInt("settle-ms", 5000));
        into.put("nft_update_ms", nftUpdateMillis(args.getInt("nft-updates", 50)));
        into.put("connect_us", connectMicros(target, args.getInt("connects", 300)));
        long start = System.nanoTime();
        agent.reconcile(); // reads every workspace back from the kernel; a repair would take only its workspace's lock
        into.put("reconcile_ms", (System.nanoTime() - start) / 1e6);
        long[] lists = new long[20];
        for (int i = 0; i < lists.length; i++) {
            long listStart = System.nanoTime();
            agent.list(); // from memory: never the kernel, never behind a write
            lists[i] = (System.nanoTime() - listStart) / 1000;
        }
        into.put("list_ms", median(lists) / 1000.0);
        rulesAt.put(workspaces, ruleCount());
    }

    /**
     * Median time of the transaction the agent sends for one workspace (add its elements to the three
     * sets), for a workspace that is never created: its elements are deleted again after each one.
     */
    private double nftUpdateMillis(int samples) {
        Ruleset ruleset = new Ruleset(config);
        WorkspaceRecord probe = new WorkspaceRecord(WorkspaceId.of("nft-probe"), "bench", "bench",
                config.addressPlan().slotCount() - 1, tag + "ffffffffff", 0, Instant.now());
        // As a create sends them: one nf_tables batch over netlink from the agent's own thread.
        Map<String, List<NfTables.Element>> elements = Ruleset.kernelElements(ruleset.workspaceElements(List.of(probe)));
        long[] micros = new long[samples];
        for (int i = 0; i < samples; i++) {
            long start = System.nanoTime();
            NfTables.add(Ruleset.FAMILY, config.tableName(), elements);
            micros[i] = (System.nanoTime() - start) / 1000;
            NfTables.delete(Ruleset.FAMILY, config.tableName(), elements);
        }
        return median(micros) / 1000.0;
    }

    /** Median time of a fresh TCP connect from the host to the server inside a workspace: SYN to SYN-ACK. */
    private static double connectMicros(String address, int samples) throws IOException {
        long[] micros = new long[samples];
        for (int i = -samples / 10; i < samples; i++) { // the first tenth warms up, unrecorded
            try (Socket socket = new Socket()) {
                long start = System.nanoTime();
                socket.connect(new InetSocketAddress(address, ACCEPTOR_PORT), 2000);
                if (i >= 0) {
                    micros[i] = (System.nanoTime() - start) / 1000;
                }
            }
        }
        return median(micros);
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The kernel's part alone: a namespace with a veth peer created inside it, then both deleted (µs). */
    private long bareNamespace(int i) {
        String ns = config.namespacePrefix() + "bare" + i;
        String host = tag + "x" + i;
        long start = System.nanoTime();
        COMMANDS.check("ip", "netns", "add", ns);
        COMMANDS.check("ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns);
        COMMANDS.check("ip", "link", "delete", host);
        COMMANDS.check("ip", "netns", "delete", ns);
        return (System.nanoTime() - start) / 1000;
    }

    private int ruleCount() throws IOException {
        String json = COMMANDS.check("nft", "-j", "list", "table", "inet", config.tableName()).stdout();
        int rules = 0;
        for (JsonNode item : new ObjectMapper().readTree(json).path("nftables")) {
            rules += item.has("rule") ? 1 : 0;
        }
        return rules;
    }

    private WorkspaceSpec spec(String id) {
        return new WorkspaceSpec(WorkspaceId.of(id), "bench", "bench", Optional.empty(), args.getInt("egress-mbit", 100));
    }

    private static void record(Histogram histogram, long startNanos) {
        if (histogram != null) {
            histogram.recordValue((System.nanoTime() - startNanos) / 1000);
        }
    }

    /** Removes every workspace, then whatever a failure left with this run's prefixes. */
    private void cleanUp(Path state) throws IOException {
        try {
            agent.removeEverything();
        } finally {
            for (String line : COMMANDS.run("ip", "netns", "list").stdout().split("\n")) {
                String ns = line.strip().split(" ", 2)[0];
                if (ns.startsWith(config.namespacePrefix())) {
                    COMMANDS.run("ip", "netns", "delete", ns);
                }
            }
            COMMANDS.run("nft", "delete", "table", "inet", config.tableName());
            try (var files = Files.walk(state)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One line of the table: an operation, and the one its p50 is divided by (none for the baseline). */
    private record Row(String name, Histogram latency, String againstName, Histogram against) {
        String ratio() {
            return against == null ? "1.00 (baseline)"
                    : String.format("%.2f × %s", (double) latency.getValueAtPercentile(50) / against.getValueAtPercentile(50),
                            againstName);
        }
    }

    private List<Row> rows() {
        String one = "create, one at a time";
        String atOnce = args.getInt("concurrent", 20) + " callers creating at once (each caller's wait)";
        return List.of(
                new Row("bare: ip netns + veth, add and delete", bare, null, null),
                new Row(one, createOne, "bare", bare),
                new Row(atOnce, createAtOnce, "one at a time", createOne),
                new Row("  then " + args.getInt("concurrent", 20) + " more at once (spares drained)", createDrained,
                        "one at a time", createOne),
                new Row(fillFirstName, fillFirst, "one at a time", createOne),
                new Row(fillLastName, fillLast, fillFirstName.substring("create ".length()), fillFirst),
                new Row("delete, one at a time", deleteOne, "bare", bare),
                new Row("delete, " + fillLastName.replaceAll(".* of ", "") + " down to 0", deleteFill, "delete one at a time",
                        deleteOne));
    }

    private void report(Path out) throws IOException {
        System.out.printf("%nnetns-churn: the host agent's create and delete (kernel %s)%n%n", System.getProperty("os.version"));
        System.out.printf("%-48s %6s %9s %9s %9s  %s%n", "operation", "n", "p50 ms", "p99 ms", "max ms", "p50 ratio");
        for (Row row : rows()) {
            Histogram h = row.latency();
            System.out.printf("%-48s %6d %9.1f %9.1f %9.1f  %s%n", row.name(), h.getTotalCount(),
                    h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
                    row.ratio());
        }
        int full = rulesAt.keySet().stream().max(Integer::compare).orElseThrow();
        System.out.printf("%n%-44s %13s %12s %13s %7s  %s%n", "at " + SMALL_TABLE + " vs " + full + " workspaces (medians)",
                "at " + SMALL_TABLE + " filling", "at " + full, "at " + SMALL_TABLE + " emptying", "ratio", "goal");
        scaleRow("nft update (one workspace's elements)", "nft_update_ms", "ms", "<= 1.5");
        scaleRow("first packet: TCP connect host → workspace", "connect_us", "µs", "0.90-1.10");
        scaleRow("one reconcile pass (no repairs)", "reconcile_ms", "ms", "(creates go on meanwhile)");
        scaleRow("one list of every workspace", "list_ms", "ms", "(from memory)");
        System.out.printf("%-44s %13d %12d%n", "rules in the agent's table", rulesAt.get(SMALL_TABLE), rulesAt.get(full));
        System.out.printf("%nwhere a create's time goes, p50 ms from the step before (the first: from the call,"
                + " so it includes waiting for the workspace's lock and the state file's group commit)%n");
        System.out.printf("%-26s", "step");
        steps.phases.keySet().forEach(phase -> System.out.printf(" %18s", phase.replace("create ", "")));
        System.out.println();
        for (CreateStep step : CreateStep.values()) {
            if (steps.phases.values().stream().noneMatch(p -> p.containsKey(step))) {
                continue;
            }
            System.out.printf("%-26s", step);
            steps.phases.values().forEach(p -> System.out.printf(" %18s",
                    p.containsKey(step) ? String.format("%.1f", p.get(step).getValueAtPercentile(50) / 1000.0) : "-"));
            System.out.println();
        }
        System.out.printf("%nCPU of this process per create (user + system, all threads, the kernel work of its system calls"
                + " included), on %d cores:%n", Runtime.getRuntime().availableProcessors());
        cpu.forEach((phase, c) -> {
            double perCreate = c[0] / 1e6 / c[1];
            System.out.printf("  %-24s %6.2f ms per create", phase, perCreate);
            if (c[2] > 0) {
                int bursts = args.getInt("concurrent-rounds", 5);
                System.out.printf("; a burst took %.1f ms from the start to the last answer (its CPU spread over every core: %.1f ms)",
                        c[2] / 1e6 / bursts, c[0] / 1e6 / bursts / Runtime.getRuntime().availableProcessors());
            }
            System.out.println();
        });
        int burstRounds = args.getInt("concurrent-rounds", 5);
        System.out.printf("%nspare namespaces (made ahead of demand): %d; ready at the start of a burst, mean: %.1f (pool warm),"
                + " %.1f (right after the burst before)%n", config.spareNamespaces(), (double) sparesAtWarmBursts / burstRounds,
                (double) sparesAtDrainedBursts / burstRounds);
        System.out.printf("%ngoals (issue 14), each from this run:%n");
        double createP50 = createOne.getValueAtPercentile(50) / 1000.0;
        double atOnceRatio = (double) createAtOnce.getValueAtPercentile(50) / createOne.getValueAtPercentile(50);
        double atOnceP99Ratio = (double) createAtOnce.getValueAtPercentile(99) / createOne.getValueAtPercentile(50);
        goal("create one at a time, p50", createP50, "ms", "<= 20", createP50 <= 20);
        goal("create one at a time, p50 / bare p50", (double) createOne.getValueAtPercentile(50)
                / bare.getValueAtPercentile(50), "×", "(ratio to the ip tools)", true);
        goal(args.getInt("concurrent", 20) + " at once, p50 / one at a time p50", atOnceRatio, "×", "<= 2", atOnceRatio <= 2);
        goal(args.getInt("concurrent", 20) + " at once, p99 / one at a time p50", atOnceP99Ratio, "×", "<= 2 (each)",
                atOnceP99Ratio <= 2);
        double drainedRatio = (double) createDrained.getValueAtPercentile(50) / createOne.getValueAtPercentile(50);
        double drainedP99Ratio = (double) createDrained.getValueAtPercentile(99) / createOne.getValueAtPercentile(50);
        goal("  spares drained, p50 / one at a time p50", drainedRatio, "×", "<= 2", drainedRatio <= 2);
        goal("  spares drained, p99 / one at a time p50", drainedP99Ratio, "×", "<= 2 (each)", drainedP99Ratio <= 2);
        goal("one reconcile pass at " + full, atFull.get("reconcile_ms"), "ms", "<= 2000", atFull.get("reconcile_ms") <= 2000);
        goal("one list at " + full, atFull.get("list_ms"), "ms", "<= 50", atFull.get("list_ms") <= 50);
        System.out.printf("load average after the run: %s%n", loadAverage());

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode().put("scenario", "netns-churn").put("load_average_after", loadAverage())
                .put("spare_namespaces", config.spareNamespaces())
                .put("spares_ready_at_warm_bursts", (double) sparesAtWarmBursts / burstRounds)
                .put("spares_ready_at_drained_bursts", (double) sparesAtDrainedBursts / burstRounds);
        ObjectNode meta = root.putObject("meta");
        args.meta().forEach(meta::put);
        var operations = root.putArray("operations");
        for (Row row : rows()) {
            Histogram h = row.latency();
            ObjectNode node = operations.addObject().put("operation", row.name()).put("count", h.getTotalCount())
                    .put("p50_ms", h.getValueAtPercentile(50) / 1000.0).put("p99_ms", h.getValueAtPercentile(99) / 1000.0)
                    .put("max_ms", h.getMaxValue() / 1000.0).put("p50_ratio", row.ratio());
        }
        ObjectNode scale = root.putObject("scale").put("small", SMALL_TABLE).put("full", full);
        atSmall.forEach((k, v) -> scale.put(k + "_at_small_filling", v));
        atFull.forEach((k, v) -> scale.put(k + "_at_full", v));
        atSmallAgain.forEach((k, v) -> scale.put(k + "_at_small_emptying", v));
        ObjectNode cpuNode = root.putObject("cpu_ms_per_create");
        cpu.forEach((phase, c) -> cpuNode.put(phase, c[0] / 1e6 / c[1]));
        ObjectNode perStep = root.putObject("create_step_p50_ms");
        steps.phases.forEach((phase, histograms) -> {
            ObjectNode node = perStep.putObject(phase);
            histograms.forEach((step, h) -> node.put(step.name(), h.getValueAtPercentile(50) / 1000.0));
        });
        scale.put("nft_update_ratio", scaleRatio("nft_update_ms")).put("connect_ratio", scaleRatio("connect_us"))
                .put("reconcile_ratio", scaleRatio("reconcile_ms"))
                .put("rules_at_small", rulesAt.get(SMALL_TABLE)).put("rules_at_full", rulesAt.get(full));
        Files.writeString(out, json.writeValueAsString(root));
        System.out.println("\nwritten to " + out);
    }

    private static void goal(String name, double value, String unit, String goal, boolean met) {
        System.out.printf("%-48s %10.2f %-2s  goal %-24s %s%n", name, value, unit, goal,
                goal.startsWith("(") ? "" : met ? "met" : "MISSED");
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /**
     * The time between the steps of each create being watched, per phase of the run (one at a time,
     * all at once, the fill): keyed by workspace, so creates that run side by side are each timed
     * from their own call, and the steps that grow when twenty run at once stand out.
     */
    private static final class StepTimes implements StepListener {
        /** Phase, then step: its histogram of µs from the step before (the first step: from the call). */
        final Map<String, Map<CreateStep, Histogram>> phases = new LinkedHashMap<>();
        private final Map<WorkspaceId, long[]> previous = new java.util.concurrent.ConcurrentHashMap<>();
        private final Map<WorkspaceId, Map<CreateStep, Histogram>> into = new java.util.concurrent.ConcurrentHashMap<>();

        /** Declares a phase, so the report shows the phases in the run's order. */
        synchronized Map<CreateStep, Histogram> phase(String name) {
            return phases.computeIfAbsent(name, any -> new EnumMap<>(CreateStep.class));
        }

        /** Watches the create of {@code id} into {@code phase} (null: not watched); returns its start. */
        long start(WorkspaceId id, String phase) {
            long now = System.nanoTime();
            if (phase != null) {
                into.put(id, phase(phase));
                previous.put(id, new long[] {now});
            }
            return now;
        }

        @Override
        public void after(CreateStep step, WorkspaceId id) {
            Map<CreateStep, Histogram> histograms = into.get(id);
            long[] last = previous.get(id);
            if (histograms == null || last == null) {
                return;
            }
            long now = System.nanoTime();
            synchronized (this) {
                histograms.computeIfAbsent(step, s -> new Histogram(3)).recordValue((now - last[0]) / 1000);
            }
            last[0] = now;
            if (step == CreateStep.ROUTE_PUBLISHED) {
                into.remove(id);
                previous.remove(id);
            }
        }
    }

    /** {@link WorkspaceAcceptor} inside a workspace namespace, for as long as the measurement runs. */
    private static final class Acceptor implements AutoCloseable {
        private final Process process;

        Acceptor(String namespace) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            process = new ProcessBuilder("ip", "netns", "exec", namespace, java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), WorkspaceAcceptor.class.getName(),
                    Integer.toString(ACCEPTOR_PORT)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (!"READY".equals(line)) {
                close();
                throw new IllegalStateException("the acceptor in " + namespace + " did not start: " + line);
            }
        }

        @Override
        public void close() {
            process.destroy(); // its stdin closes too, which ends it should the signal not reach the JVM
            try {
                process.getOutputStream().close();
                process.waitFor();
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}
