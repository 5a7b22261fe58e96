package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.UplinkSettings;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.shaping.UplinkShaper;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code loadtest/run.sh host-fairness}: one uplink shared between 10 backlogged workspaces by weight,
 * with the tree the host agent builds and owns ({@code uplink:} in its config, {@code UplinkShaper}):
 * an HTB root at the uplink's rate, one class per workspace with rate = its weighted share and ceil =
 * the whole uplink (so what an idle workspace leaves is lent to the others), quantum 64 KiB per
 * weight, and the class chosen by the priority the agent's nftables table sets before masquerade.
 * Measured with iperf3 against the same uplink with one class for everybody (one FIFO: no weights),
 * in the same run.
 *
 * <p>The agent runs in this process on the host, with names and a range of its own (namespaces
 * {@code pchf-ws0..9}, links {@code pchf} + hash, table {@code inet pchf}, 10.213.179.128/26); the
 * "uplink" is a veth {@code pchfup} into the namespace {@code pchf_world}, which stands for the
 * internet (10.213.179.193). The host's own links, sysctls and tables are never touched; the run
 * deletes exactly what it made.
 */
public final class HostFairness {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "pchf";
    /** Not the agent's namespace prefix plus an id ('_' is not allowed in one), so the agent's reconcile leaves it. */
    private static final String WORLD = PREFIX + "_world";
    private static final String UPLINK = PREFIX + "up";
    private static final String UPLINK_ADDRESS = "10.213.179.192";
    private static final String WORLD_ADDRESS = "10.213.179.193";
    private static final int WORKSPACES = 10;
    private static final int[] WEIGHTS = {1, 1, 1, 1, 1, 2, 2, 2, 4, 4};
    /** The workspaces backlogged in the work-conserving phase: weights 1, 2 and 4; the other seven are idle. */
    private static final int[] SUBSET = {0, 5, 8};
    private static final Pattern SENT = Pattern.compile("Sent (\\d+) bytes");

    private final int uplinkMbit;
    private final int seconds;
    private final int omit;
    private WorkspaceNetworks agent;
    /** Per workspace: its namespace and its class on the uplink, as the agent made them. */
    private final String[] namespaces = new String[WORKSPACES];
    private final String[] classes = new String[WORKSPACES];

    private HostFairness(int uplinkMbit, int seconds, int omit) {
        this.uplinkMbit = uplinkMbit;
        this.seconds = seconds;
        this.omit = omit;
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        if (!"0".equals(COMMANDS.run("id", "-u").stdout().strip())) {
            throw new IllegalStateException("host-fairness builds network namespaces: run it as root");
        }
        if (!COMMANDS.run("iperf3", "--version").ok()) {
            throw new IllegalStateException("host-fairness needs iperf3 (Debian package iperf3)");
        }
        List<String> leftovers = leftovers();
        if (!leftovers.isEmpty()) {
            throw new IllegalStateException(leftovers + " exist already: another host-fairness runs, or one was killed"
                    + " (expected: none; remove them with 'ip netns delete NAME' and 'ip link delete NAME' if no run is going on)");
        }
        HostFairness bench = new HostFairness(args.getInt("uplink-mbit", 200), args.getInt("seconds", 15),
                args.getInt("omit", 2));
        int runs = args.getInt("runs", 3);
        Path state = Files.createTempDirectory("portcullis-host-fairness");
        Thread cleanup = new Thread(bench::tearDown);
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            bench.build(state);
            List<Map<String, Double>> results = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                Map<String, Double> result = bench.run();
                System.out.printf("run %d: %s%n", run, result);
                results.add(result);
            }
            bench.report(results, args);
        } finally {
            bench.tearDown();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    /** Namespaces and links of a run that did not clean up (or runs now). */
    private static List<String> leftovers() {
        List<String> found = new ArrayList<>(COMMANDS.run("ip", "netns", "list").stdout().lines()
                .map(l -> l.strip().split(" ", 2)[0]).filter(ns -> ns.startsWith(PREFIX)).map(ns -> "namespace " + ns)
                .toList());
        if (COMMANDS.run("ip", "link", "show", "dev", UPLINK).ok()) {
            found.add("link " + UPLINK);
        }
        return found;
    }

    /** The uplink and the internet behind it, then the agent, which takes the uplink and makes the workspaces. */
    private void build(Path state) {
        COMMANDS.check("ip", "netns", "add", WORLD);
        COMMANDS.check("ip", "link", "add", UPLINK, "type", "veth", "peer", "name", "eth0", "netns", WORLD);
        COMMANDS.check("ip", "addr", "add", UPLINK_ADDRESS + "/31", "dev", UPLINK);
        COMMANDS.check("ip", "link", "set", "dev", UPLINK, "up");
        COMMANDS.check("ip", "-n", WORLD, "addr", "add", WORLD_ADDRESS + "/31", "dev", "eth0");
        COMMANDS.check("ip", "-n", WORLD, "link", "set", "dev", "eth0", "up");
        COMMANDS.check("ip", "-n", WORLD, "link", "set", "dev", "lo", "up");
        // Replies from the internet are forwarded to the workspaces: forwarding for this link only.
        COMMANDS.check("sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/" + UPLINK + "/forwarding");
        agent = new WorkspaceNetworks(AgentConfig.builder()
                .stateDir(state)
                .socketPath(state.resolve("agent.sock"))
                .namespacePrefix(PREFIX + "-")
                .interfacePrefix(PREFIX)
                .tableName(PREFIX)
                .addressRange(Ipv4Cidr.parse("10.213.179.128/26"))
                .slotPrefixLength(31)
                .blockedDestinations(List.of(Ipv4Cidr.parse("169.254.0.0/16")))
                .globalForwarding(false)
                .reconcileInterval(Duration.ofHours(1))
                .hostName("host-fairness")
                .uplink(new UplinkSettings(UPLINK, uplinkMbit))
                .build(), COMMANDS, new InMemoryRouteSink(), StepListener.NONE, Clock.systemUTC());
        agent.start();
        for (int i = 0; i < WORKSPACES; i++) {
            WorkspaceStatus ws = agent.create(new WorkspaceSpec(WorkspaceId.of("ws" + i), "bench", "bench",
                    Optional.empty(), 0, 0, WEIGHTS[i]));
            namespaces[i] = ws.namespace();
            classes[i] = UplinkShaper.classId(ws.desired().slot());
        }
    }

    private synchronized void tearDown() {
        if (agent != null) {
            try {
                agent.removeEverything(); // the workspaces, the table and the tree on the uplink
            } finally {
                agent.close();
                agent = null;
            }
        }
        if (COMMANDS.run("ip", "netns", "list").stdout().lines().anyMatch(l -> l.startsWith(WORLD + " ") || l.equals(WORLD))) {
            COMMANDS.run("ip", "netns", "delete", WORLD); // and with it the uplink's other end, so the uplink too
        }
        if (COMMANDS.run("ip", "link", "show", "dev", UPLINK).ok()) {
            COMMANDS.run("ip", "link", "delete", "dev", UPLINK);
        }
    }

    private String workspace(int i) {
        return namespaces[i];
    }

    /**
     * The baseline: the same rate for the whole uplink, one class, one FIFO for every workspace. The
     * agent's tree comes off for it, and {@link #agentsTree} gives it back.
     */
    private void oneClass() {
        COMMANDS.check("tc", "qdisc", "del", "dev", UPLINK, "root");
        String rate = uplinkMbit + "mbit";
        COMMANDS.check("tc", "qdisc", "add", "dev", UPLINK, "root", "handle", "1:", "htb", "default", "1");
        COMMANDS.check("tc", "class", "add", "dev", UPLINK, "parent", "1:", "classid", "1:1", "htb", "rate", rate, "ceil", rate);
        COMMANDS.check("tc", "qdisc", "add", "dev", UPLINK, "parent", "1:1", "pfifo", "limit", "1000");
    }

    /** The agent's own tree, back after the baseline: a reconcile pass puts it on the bare uplink. */
    private void agentsTree() {
        COMMANDS.check("tc", "qdisc", "del", "dev", UPLINK, "root");
        List<String> actions = agent.reconcile().actions();
        if (actions.stream().noneMatch(a -> a.contains("added the HTB root"))) {
            throw new IllegalStateException("the agent did not rebuild its tree on " + UPLINK + ": " + actions);
        }
    }

    /** One run: the tree with all ten backlogged, the tree with three, the baseline with all ten. */
    private Map<String, Double> run() throws Exception {
        Map<String, Double> result = new LinkedHashMap<>();
        int[] all = java.util.stream.IntStream.range(0, WORKSPACES).toArray();

        Phase tree = phase(all, true); // the agent's tree, as it built it
        result.put("tree_jain_weighted", tree.weightedJain());
        result.put("tree_weight_error_max", tree.weightErrorMax());
        result.put("tree_conservation", tree.conservation());
        result.put("tree_jain_weighted_iperf3", JainIndex.of(tree.goodputPerWeight()));

        Phase subset = phase(SUBSET, true);
        result.put("subset_weight_error_max", subset.weightErrorMax());
        result.put("subset_conservation", subset.conservation());

        oneClass();
        Phase baseline = phase(all, false);
        result.put("baseline_jain_weighted", baseline.weightedJain());
        result.put("baseline_weight_error_max", baseline.weightErrorMax());
        result.put("baseline_conservation", baseline.conservation());
        agentsTree();
        return result;
    }

    /**
     * What the workspaces of one phase got and what the uplink carried (its root qdisc's bytes). {@code
     * mbit} is what each workspace's class sent over the measured window when there are classes (the
     * bytes HTB itself accounts), else iperf3's goodput; {@code goodput} is always iperf3's.
     */
    private record Phase(int[] active, double[] mbit, double[] goodput, double uplinkMbitCarried, int uplinkMbit) {
        double[] perWeight() {
            return perWeight(mbit);
        }

        double[] goodputPerWeight() {
            return perWeight(goodput);
        }

        private double[] perWeight(double[] values) {
            double[] x = new double[active.length];
            for (int k = 0; k < active.length; k++) {
                x[k] = values[k] / WEIGHTS[active[k]];
            }
            return x;
        }

        double weightedJain() {
            return JainIndex.of(perWeight());
        }

        /** The largest |got / due - 1| over the active workspaces, due = the weighted share of what they got together. */
        double weightErrorMax() {
            double sum = Arrays.stream(mbit).sum();
            int weights = Arrays.stream(active).map(i -> WEIGHTS[i]).sum();
            double worst = 0;
            for (int k = 0; k < active.length; k++) {
                double due = sum * WEIGHTS[active[k]] / weights;
                worst = Math.max(worst, Math.abs(mbit[k] / due - 1));
            }
            return worst;
        }

        double conservation() {
            return uplinkMbitCarried / uplinkMbit;
        }
    }

    private Phase phase(int[] active, boolean perWorkspaceClasses) throws Exception {
        List<Process> servers = new ArrayList<>();
        try {
            for (int i : active) {
                servers.add(new ProcessBuilder("ip", "netns", "exec", WORLD, "iperf3", "-s", "-1", "-B", WORLD_ADDRESS,
                        "-p", Integer.toString(5301 + i)).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            }
            awaitListening(active);
            // All at once, each its own process (a pool the size of the cores would start them one after another).
            List<Process> clients = new ArrayList<>();
            List<Path> reports = new ArrayList<>();
            for (int i : active) {
                Path report = Files.createTempFile("pchf-iperf3-", ".json");
                reports.add(report);
                clients.add(new ProcessBuilder("ip", "netns", "exec", workspace(i), "iperf3", "-J", "-c", WORLD_ADDRESS,
                        "-p", Integer.toString(5301 + i), "-t", Integer.toString(seconds), "-O", Integer.toString(omit))
                        .redirectErrorStream(true).redirectOutput(report.toFile()).start());
            }
            // The uplink's bytes over the measured seconds, while every active workspace is backlogged.
            Thread.sleep(omit * 1000L + 500);
            Map<String, Long> before = uplinkBytes();
            long started = System.nanoTime();
            Thread.sleep((seconds - 1) * 1000L);
            Map<String, Long> after = uplinkBytes();
            double elapsed = (System.nanoTime() - started) / 1e9;
            double carried = (after.get("root") - before.get("root")) * 8 / elapsed / 1e6;
            double[] classMbit = new double[active.length];
            for (int k = 0; k < active.length; k++) {
                String classId = classes[active[k]];
                classMbit[k] = perWorkspaceClasses ? (after.get(classId) - before.get(classId)) * 8 / elapsed / 1e6 : 0;
            }
            double[] mbit = new double[active.length];
            for (int k = 0; k < active.length; k++) {
                int exit = clients.get(k).waitFor();
                String text = Files.readString(reports.get(k));
                Files.delete(reports.get(k));
                JsonNode report = JSON.readTree(text);
                if (exit != 0 || report.has("error")) {
                    throw new IllegalStateException("iperf3 in " + workspace(active[k]) + " failed: " + text);
                }
                mbit[k] = report.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e6;
            }
            return new Phase(active, perWorkspaceClasses ? classMbit : mbit, mbit, carried, uplinkMbit);
        } finally {
            for (Process server : servers) {
                server.destroy();
                server.waitFor();
            }
        }
    }

    private static void awaitListening(int[] active) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            String listening = COMMANDS.run("ip", "netns", "exec", WORLD, "ss", "-Hltn").stdout();
            if (Arrays.stream(active).allMatch(i -> listening.contains(":" + (5301 + i) + " "))) {
                return;
            }
            Thread.sleep(50); // a handful of polls while ten servers start; no Awaitility in a benchmark's runtime
        }
        throw new IllegalStateException("the iperf3 servers in " + WORLD + " did not listen within 10 s");
    }

    /** The bytes the uplink's root qdisc ("root") and each of its classes ("7063:10" ...) have sent; one tc batch. */
    private static Map<String, Long> uplinkBytes() {
        String shown = COMMANDS.check(List.of("tc", "-s", "-batch", "-"),
                "qdisc show dev " + UPLINK + " root\nclass show dev " + UPLINK + "\n").stdout();
        Map<String, Long> bytes = new LinkedHashMap<>();
        String owner = null;
        for (String line : shown.lines().toList()) {
            if (line.startsWith("qdisc htb ") && line.contains(" root ")) {
                owner = "root";
            } else if (line.startsWith("class htb ")) {
                owner = line.split(" ")[2];
            } else if (line.startsWith("qdisc ") || line.startsWith("class ")) {
                owner = null;
            }
            Matcher sent = SENT.matcher(line);
            if (owner != null && sent.find()) {
                bytes.put(owner, Long.parseLong(sent.group(1)));
                owner = null;
            }
        }
        if (!bytes.containsKey("root")) {
            throw new IllegalStateException("no byte count on the uplink's root qdisc in: " + shown);
        }
        return bytes;
    }

    private void report(List<Map<String, Double>> results, Args args) throws IOException {
        Map<String, Double> medians = new LinkedHashMap<>();
        for (String key : results.get(0).keySet()) {
            medians.put(key, Medians.of(results.stream().map(r -> r.get(key)).toList()));
        }
        System.out.printf("%nhost-fairness: %d workspaces, weights %s, uplink %d Mbit/s, %d s measured after %d s,"
                + " medians of %d runs (kernel %s)%n%n", WORKSPACES, Arrays.toString(WEIGHTS), uplinkMbit, seconds, omit,
                results.size(), System.getProperty("os.version"));
        System.out.printf("%-58s %10s %10s %8s  %s%n", "", "agent tree", "one class", "ratio", "goal");
        System.out.printf("%-58s %10.4f %10.4f %8.2f  %s%n", "Jain of throughput / weight, 10 backlogged",
                medians.get("tree_jain_weighted"), medians.get("baseline_jain_weighted"),
                medians.get("tree_jain_weighted") / medians.get("baseline_jain_weighted"), ">= 0.98");
        System.out.printf("%-58s %9.1f%% %9.1f%% %8s  %s%n", "largest weight error, 10 backlogged",
                100 * medians.get("tree_weight_error_max"), 100 * medians.get("baseline_weight_error_max"), "", "<= 5%");
        System.out.printf("%-58s %9.1f%% %9.1f%% %8s  %s%n", "uplink carried / its rate, 10 backlogged",
                100 * medians.get("tree_conservation"), 100 * medians.get("baseline_conservation"), "", ">= 95%");
        System.out.printf("%-58s %9.1f%% %10s %8s  %s%n", "largest weight error, 3 backlogged (weights 1, 2, 4)",
                100 * medians.get("subset_weight_error_max"), "", "", "<= 5%");
        System.out.printf("%-58s %9.1f%% %10s %8s  %s%n", "uplink carried / its rate, 3 backlogged, 7 idle",
                100 * medians.get("subset_conservation"), "", "", ">= 95% (work-conserving)");
        String loadAverage = Files.readString(Path.of("/proc/loadavg")).strip();
        System.out.printf("%nload average after the runs: %s%n", loadAverage);
        System.out.printf("%nthe tree is the agent's own (uplink: in its config); its shares are the bytes each"
                + " workspace's class sent (what HTB accounts), the one class's are iperf3 goodput (it has no per-workspace classes); the tree's Jain from iperf3 goodput:"
                + " %.4f%n", medians.get("tree_jain_weighted_iperf3"));

        String out = args.get("out", null);
        if (out != null) {
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = json.createObjectNode().put("scenario", "host-fairness").put("uplink_mbit", uplinkMbit)
                    .put("seconds", seconds).put("omit", omit);
            ObjectNode meta = root.putObject("meta");
            args.meta().forEach(meta::put);
            meta.put("load_average_after", loadAverage);
            root.putPOJO("weights", WEIGHTS);
            root.putPOJO("medians", medians);
            root.putPOJO("runs", results);
            Files.writeString(Path.of(out), json.writeValueAsString(root));
            System.out.println("\nwritten to " + out);
        }
    }
}
