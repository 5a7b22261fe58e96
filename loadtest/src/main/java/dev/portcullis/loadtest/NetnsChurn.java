package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.kernel.netlink.NfTables;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * {@code loadtest/run.sh netns-churn}: the host agent's library creating and deleting workspace
 * networks (namespace, veth, addresses, sysctls, one nftables transaction, tc with a 100 Mbit/s limit,
 * route), as root, with its own prefixes and address range, beside baselines measured in the same run:
 * <ul>
 * <li>create and delete one at a time, against the kernel's own part ({@code ip netns add} + a veth
 *     pair with its peer made inside + both deletes); and creates one at a time with the spare pool
 *     full before each ({@code --pool-full}, 50), as a create finds an agent that had a moment;
 * <li>20 callers creating at once (each latency as its caller sees it, from the burst's start),
 *     against one at a time: with the agent's spare namespaces ready (made ahead of demand,
 *     {@code --spares}, 20 by default), and again at once after, when the burst before has drained them;
 * <li>the last creates of 1000 workspaces, against the first ones of the same fill;
 * <li>where a create's time goes, step by step, in each of these phases (one at a time, all at
 *     once, the start and the end of the fill), each create timed from its own call (at once: from
 *     the burst's start, which all its callers share);
 * <li>one nftables update (one workspace's elements), the first packet through the host (a fresh
 *     TCP connect from the host to a server inside a workspace) and one reconcile pass at 1000
 *     workspaces, against the same at 10 (filling and again emptying).
 * </ul>
 * Everything it builds carries its own prefixes and is removed at the end, also after a failure.
 */
public final class NetnsChurn {
    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();
    private static final int ACCEPTOR_PORT = 7000;
    private static final int SMALL_TABLE = NetnsChurnReport.SMALL_TABLE;
    private static final String ONE_AT_A_TIME = "one at a time";
    private static final String POOL_FULL = "pool full before each";
    /** Its thread CPU time is exact (user + system); its user time alone counts 10 ms ticks, too coarse for a create. */
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** Its total compilation time: how long the JIT compiled (on its own threads) while a phase ran. */
    private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

    private final Args args;
    private final String tag = "b" + Long.toString(ProcessHandle.current().pid() % 46656, 36);
    private final AgentConfig config;
    private final WorkspaceNetworks agent;
    private final NetnsChurnReport results;
    private final java.util.concurrent.atomic.AtomicBoolean cleanedUp = new java.util.concurrent.atomic.AtomicBoolean();
    /** The server inside the first workspace while the fill runs, for the shutdown hook to stop. */
    private volatile Acceptor acceptor;

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
                // 0 by default: every create sets a limit of its own (one tc change), as every run measured;
                // --default-egress-mbit equal to --egress-mbit gives the workspaces the agent's default,
                // which their spares carry, so a create sends no tc.
                .defaultEgressMbit(args.getInt("default-egress-mbit", 0))
                .hostName("netns-churn")
                .build();
        this.results = new NetnsChurnReport(args, config.spareNamespaces());
        this.agent = new WorkspaceNetworks(config, COMMANDS, new InMemoryRouteSink(), results.steps, Clock.systemUTC());
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("netns-churn builds network namespaces: run it as root");
        }
        Path state = Files.createTempDirectory("portcullis-netns-churn");
        NetnsChurn churn = new NetnsChurn(args, state);
        // Killed by a signal (Ctrl-C, SIGTERM, a timeout), the finally below never runs: the hook removes
        // what this run made, its spare namespaces and table included (kill -9 leaves them; see cleanUp).
        Thread hook = Thread.ofPlatform().unstarted(() -> churn.cleanUp(state));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            churn.measure();
        } finally {
            churn.cleanUp(state);
        }
        churn.results.print(Path.of(args.get("out")));
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
        createAndDelete("warm-up", 20, null, null, null, false); // JIT and page cache, not recorded
        settle();
        createAtOnce("warm-up-", concurrent, false); // the same for the paths only callers at once take

        settle(); // the spare namespaces the warm-up took are made again first, not beside the bare commands
        for (int i = 0; i < args.getInt("bare", 100); i++) {
            results.bare.recordValue(bareNamespace(i));
        }
        for (int round = 0; round < rounds; round++) {
            settle();
            createAndDelete("one", single, results.createOne, results.deleteOne, ONE_AT_A_TIME, false);
        }
        settle();
        createAndDelete("pool-full", args.getInt("pool-full", 50), results.createPoolFull, null, POOL_FULL, true);
        for (int round = 0; round < args.getInt("concurrent-rounds", 5); round++) {
            settle();
            createAtOnce("at-once-" + round + "-", concurrent, true);
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
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Creates {@code count} workspaces one after another, then deletes them one after another. Back to
     * back, the creates drain the spare pool after a few dozen and then wait for its refill; with
     * {@code poolFull}, each waits first until the pool has made every spare again, as a create finds
     * it on an agent that had a moment since the last one (nothing else runs beside it).
     */
    private void createAndDelete(String name, int count, Histogram create, Histogram delete, String phase, boolean poolFull)
            throws InterruptedException {
        NetnsChurnReport.PhaseCost cost = phase == null ? new NetnsChurnReport.PhaseCost() : results.cost(phase);
        long cpuBefore = processCpuNanos();
        long compiledBefore = JIT.getTotalCompilationTime();
        for (int i = 0; i < count; i++) {
            if (poolFull) {
                awaitPoolFull();
            }
            WorkspaceSpec spec = spec(name + "-" + i);
            long start = results.steps.start(spec.id(), phase);
            long threadCpu = THREADS.getCurrentThreadCpuTime();
            agent.create(spec);
            record(create, start);
            cost.callerNanos += THREADS.getCurrentThreadCpuTime() - threadCpu;
        }
        cost.processNanos += processCpuNanos() - cpuBefore; // the pool-full waits included: the refill's CPU is the create's
        cost.compileMillis += JIT.getTotalCompilationTime() - compiledBefore;
        cost.creates += count;
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            agent.delete(WorkspaceId.of(name + "-" + i));
            record(delete, start);
        }
    }

    /** Until the pool has every spare (5 s at most), and a little after, so the refill has gone quiet. */
    private void awaitPoolFull() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (agent.spareNamespaces().size() < config.spareNamespaces() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        Thread.sleep(10);
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
    private void createAtOnce(String prefix, int callers, boolean recorded) throws Exception {
        int warmSpares = agent.spareNamespaces().size();
        burst(prefix, callers, recorded ? results.createAtOnce : null, recorded ? atOncePhase() : null);
        int drainedSpares = agent.spareNamespaces().size();
        burst("drained-" + prefix, callers, recorded ? results.createDrained : null, recorded ? drainedPhase() : null);
        if (recorded) {
            results.sparesAtWarmBursts += warmSpares;
            results.sparesAtDrainedBursts += drainedSpares;
        }
        for (int i = 0; i < callers; i++) {
            agent.delete(WorkspaceId.of(prefix + i));
            agent.delete(WorkspaceId.of("drained-" + prefix + i));
        }
    }

    /**
     * {@code callers} creates at once; {@code into} and {@code phase} null: not recorded (a warm-up).
     * Each caller's wait is timed from the burst's start, as its client would see it: the time its
     * thread waited for a core after the start counts too (callers that arrive together, as requests
     * do, wait for the same two cores).
     */
    private void burst(String prefix, int callers, Histogram into, String phase) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            AtomicLong callerNanos = new AtomicLong();
            AtomicLong startedAt = new AtomicLong();
            List<Future<Long>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                WorkspaceSpec spec = spec(prefix + i);
                calls.add(pool.submit(() -> {
                    go.await();
                    long start = results.steps.start(spec.id(), phase, startedAt.get());
                    long threadCpu = THREADS.getCurrentThreadCpuTime();
                    agent.create(spec);
                    long micros = (System.nanoTime() - start) / 1000;
                    callerNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - threadCpu);
                    return micros;
                }));
            }
            long cpuBefore = processCpuNanos();
            long compiledBefore = JIT.getTotalCompilationTime();
            long burstStart = System.nanoTime();
            startedAt.set(burstStart);
            go.countDown();
            for (Future<Long> call : calls) {
                long micros = call.get();
                if (into != null) {
                    into.recordValue(micros);
                }
            }
            if (phase == null) {
                return;
            }
            NetnsChurnReport.PhaseCost cost = results.cost(phase);
            cost.burstWallNanos += System.nanoTime() - burstStart;
            cost.processNanos += processCpuNanos() - cpuBefore;
            cost.compileMillis += JIT.getTotalCompilationTime() - compiledBefore;
            cost.callerNanos += callerNanos.get();
            cost.creates += callers;
            cost.bursts++;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Fills the host to {@code fill} workspaces; nft updates and first packets at 10 and at {@code fill}. */
    private void fillAndMeasure(int fill) throws Exception {
        int tail = Math.max(1, Math.min(50, fill / 10));
        results.fillFirstName = "create #1-" + tail + " of " + fill;
        results.fillLastName = "create #" + (fill - tail + 1) + "-" + fill + " of " + fill;
        long firstStart = results.steps.start(WorkspaceId.of("fill-0"), results.fillFirstName);
        String target = agent.create(spec("fill-0")).address();
        record(results.fillFirst, firstStart);
        try (Acceptor server = new Acceptor(config.namespacePrefix() + "fill-0")) {
            acceptor = server;
            for (int i = 1; i < fill; i++) {
                long start = results.steps.start(WorkspaceId.of("fill-" + i),
                        i < tail ? results.fillFirstName : i >= fill - tail ? results.fillLastName : null);
                agent.create(spec("fill-" + i));
                record(i < tail ? results.fillFirst : i >= fill - tail ? results.fillLast : null, start);
                if (i + 1 == SMALL_TABLE) {
                    measureAt(results.atSmall, SMALL_TABLE, target);
                }
            }
            measureAt(results.atFull, fill, target);
            for (int i = fill - 1; i >= 1; i--) {
                long start = System.nanoTime();
                agent.delete(WorkspaceId.of("fill-" + i));
                record(results.deleteFill, start);
                if (i == SMALL_TABLE) {
                    measureAt(results.atSmallAgain, SMALL_TABLE, target);
                }
            }
        }
        long start = System.nanoTime();
        agent.delete(WorkspaceId.of("fill-0"));
        record(results.deleteFill, start);
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
        results.rulesAt.put(workspaces, ruleCount());
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

    /**
     * Removes every workspace and spare namespace (with their links) and the table, then whatever a
     * failure left with this run's prefixes; once, whether from the end of the run or from the shutdown
     * hook of a run stopped by a signal (then creates may still be running: what they make after the
     * agent's removal is swept up by the prefixes). Everything with these prefixes is this run's: the
     * agent refused to start (its state file is new) if the host had any of them before.
     */
    private void cleanUp(Path state) {
        if (!cleanedUp.compareAndSet(false, true)) {
            return;
        }
        Acceptor running = acceptor;
        if (running != null) {
            running.close(); // a process inside a namespace would keep it alive after its name is gone
        }
        try {
            agent.removeEverything();
        } catch (RuntimeException e) {
            System.err.println("netns-churn: the agent's removal failed, removing by prefix: " + e);
        } finally {
            agent.close();
            for (String line : COMMANDS.run("ip", "-o", "link", "show").stdout().split("\n")) {
                String[] fields = line.split(":", 3);
                String link = fields.length > 1 ? fields[1].strip().split("@", 2)[0] : "";
                if (link.matches(java.util.regex.Pattern.quote(tag) + "([0-9a-f]{10}|-[0-9]+|x[0-9]+)")) {
                    COMMANDS.run("ip", "link", "delete", link); // workspace (and spare) and bare host ends
                }
            }
            for (String line : COMMANDS.run("ip", "netns", "list").stdout().split("\n")) {
                String ns = line.strip().split(" ", 2)[0];
                if (ns.startsWith(config.namespacePrefix())) {
                    COMMANDS.run("ip", "netns", "delete", ns);
                }
            }
            COMMANDS.run("nft", "delete", "table", "inet", config.tableName());
            try (var files = Files.walk(state)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("netns-churn: could not remove " + state + ": " + e);
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
