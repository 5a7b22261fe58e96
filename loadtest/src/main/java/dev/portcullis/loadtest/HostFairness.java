package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code loadtest/run.sh host-fairness}: one uplink shared between 10 backlogged workspaces by weight,
 * with an HTB tree: one parent class at the uplink's rate, one class per workspace under it with rate
 * = its weighted share and ceil = the whole uplink (so what an idle workspace leaves is lent to the
 * others), quantum in proportion to the weight and above the largest GSO packet (so the lent part is
 * shared by weight too), and a u32
 * filter per workspace's source address. Measured with iperf3 against the same uplink with one class
 * for everybody (one FIFO: no weights), in the same run.
 *
 * <p>Everything lives in namespaces this run makes: {@code pchf-hub} stands for the host (its
 * {@code up0} is the "uplink"), {@code pchf-world} for the internet, {@code pchf-ws0..9} for the
 * workspaces, addresses in 10.213.179.128/25. The host's own links, sysctls and tables are never
 * touched; the run deletes exactly the namespaces it made.
 */
public final class HostFairness {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "pchf-";
    private static final String HUB = PREFIX + "hub";
    private static final String WORLD = PREFIX + "world";
    private static final String UPLINK = "up0";
    private static final String WORLD_ADDRESS = "10.213.179.129";
    private static final int WORKSPACES = 10;
    private static final int[] WEIGHTS = {1, 1, 1, 1, 1, 2, 2, 2, 4, 4};
    /** The workspaces backlogged in the work-conserving phase: weights 1, 2 and 4; the other seven are idle. */
    private static final int[] SUBSET = {0, 5, 8};
    /**
     * What a class may send per round when it borrows. veth (like a NIC with TSO) hands HTB GSO packets
     * of up to 64 KiB, and a class always sends at least one packet per round, so a quantum of a few
     * MTUs made the lent bandwidth equal per class instead of per weight (73% off with weights 1, 2, 4).
     */
    private static final int QUANTUM_PER_WEIGHT = 65_536;
    private static final Pattern SENT = Pattern.compile("Sent (\\d+) bytes");

    private final int uplinkMbit;
    private final int seconds;
    private final int omit;

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
        List<String> leftovers = namespaces();
        if (!leftovers.isEmpty()) {
            throw new IllegalStateException("namespaces " + leftovers + " exist already: another host-fairness runs, or"
                    + " one was killed (expected: none; remove them with 'ip netns delete NAME' if no run is going on)");
        }
        HostFairness bench = new HostFairness(args.getInt("uplink-mbit", 200), args.getInt("seconds", 15),
                args.getInt("omit", 2));
        int runs = args.getInt("runs", 3);
        List<String> made = new ArrayList<>();
        Thread cleanup = new Thread(() -> made.forEach(ns -> COMMANDS.run("ip", "netns", "delete", ns)));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            bench.build(made);
            List<Map<String, Double>> results = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                Map<String, Double> result = bench.run();
                System.out.printf("run %d: %s%n", run, result);
                results.add(result);
            }
            bench.report(results, args);
        } finally {
            made.forEach(ns -> COMMANDS.run("ip", "netns", "delete", ns));
            made.clear();
        }
    }

    private static List<String> namespaces() {
        return COMMANDS.run("ip", "netns", "list").stdout().lines().map(l -> l.strip().split(" ", 2)[0])
                .filter(ns -> ns.startsWith(PREFIX)).toList();
    }

    private static String workspace(int i) {
        return PREFIX + "ws" + i;
    }

    private static String workspaceAddress(int i) {
        return "10.213.179." + (131 + 2 * i);
    }

    private void build(List<String> made) {
        for (String ns : List.of(HUB, WORLD)) {
            COMMANDS.check("ip", "netns", "add", ns);
            made.add(ns);
        }
        COMMANDS.check("ip", "-n", HUB, "link", "add", UPLINK, "type", "veth", "peer", "name", "eth0", "netns", WORLD);
        COMMANDS.check("ip", "-n", HUB, "addr", "add", "10.213.179.128/31", "dev", UPLINK);
        COMMANDS.check("ip", "-n", WORLD, "addr", "add", WORLD_ADDRESS + "/31", "dev", "eth0");
        for (String[] up : List.of(new String[] {HUB, UPLINK}, new String[] {WORLD, "eth0"}, new String[] {HUB, "lo"},
                new String[] {WORLD, "lo"})) {
            COMMANDS.check("ip", "-n", up[0], "link", "set", "dev", up[1], "up");
        }
        COMMANDS.check("ip", "-n", WORLD, "route", "add", "10.213.179.128/25", "via", "10.213.179.128");
        // The hub's own forwarding: a sysctl of the hub's namespace, not the host's.
        COMMANDS.check("ip", "netns", "exec", HUB, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        for (int i = 0; i < WORKSPACES; i++) {
            String ns = workspace(i);
            COMMANDS.check("ip", "netns", "add", ns);
            made.add(ns);
            String hubEnd = "10.213.179." + (130 + 2 * i);
            COMMANDS.check("ip", "-n", HUB, "link", "add", "ws" + i, "type", "veth", "peer", "name", "eth0", "netns", ns);
            COMMANDS.check("ip", "-n", HUB, "addr", "add", hubEnd + "/31", "dev", "ws" + i);
            COMMANDS.check("ip", "-n", HUB, "link", "set", "dev", "ws" + i, "up");
            COMMANDS.check("ip", "-n", ns, "addr", "add", workspaceAddress(i) + "/31", "dev", "eth0");
            COMMANDS.check("ip", "-n", ns, "link", "set", "dev", "eth0", "up");
            COMMANDS.check("ip", "-n", ns, "link", "set", "dev", "lo", "up");
            COMMANDS.check("ip", "-n", ns, "route", "add", "default", "via", hubEnd);
        }
    }

    /** The uplink's tree: a parent at the uplink's rate, a class per workspace with its weighted share. */
    private void weightedTree() {
        resetUplink();
        String rate = uplinkMbit + "mbit";
        int total = Arrays.stream(WEIGHTS).sum();
        tc("qdisc", "add", "dev", UPLINK, "root", "handle", "1:", "htb", "default", "99");
        tc("class", "add", "dev", UPLINK, "parent", "1:", "classid", "1:1", "htb", "rate", rate, "ceil", rate);
        tc("class", "add", "dev", UPLINK, "parent", "1:1", "classid", "1:99", "htb", "rate", "1mbit", "ceil", rate);
        for (int i = 0; i < WORKSPACES; i++) {
            String classId = "1:" + (10 + i);
            long share = Math.round(uplinkMbit * 1000.0 * WEIGHTS[i] / total);
            tc("class", "add", "dev", UPLINK, "parent", "1:1", "classid", classId, "htb", "rate", share + "kbit",
                    "ceil", rate, "quantum", Integer.toString(QUANTUM_PER_WEIGHT * WEIGHTS[i]));
            tc("qdisc", "add", "dev", UPLINK, "parent", classId, "pfifo", "limit", "1000");
            tc("filter", "add", "dev", UPLINK, "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "src",
                    workspaceAddress(i) + "/32", "flowid", classId);
        }
    }

    /** The baseline: the same rate for the whole uplink, one class, one FIFO for every workspace. */
    private void oneClass() {
        resetUplink();
        String rate = uplinkMbit + "mbit";
        tc("qdisc", "add", "dev", UPLINK, "root", "handle", "1:", "htb", "default", "1");
        tc("class", "add", "dev", UPLINK, "parent", "1:", "classid", "1:1", "htb", "rate", rate, "ceil", rate);
        tc("qdisc", "add", "dev", UPLINK, "parent", "1:1", "pfifo", "limit", "1000");
    }

    private void resetUplink() {
        COMMANDS.run("tc", "-n", HUB, "qdisc", "del", "dev", UPLINK, "root"); // none the first time
    }

    private static void tc(String... args) {
        List<String> argv = new ArrayList<>(List.of("tc", "-n", HUB));
        argv.addAll(List.of(args));
        COMMANDS.check(argv);
    }

    /** One run: the tree with all ten backlogged, the tree with three, the baseline with all ten. */
    private Map<String, Double> run() throws Exception {
        Map<String, Double> result = new LinkedHashMap<>();
        int[] all = java.util.stream.IntStream.range(0, WORKSPACES).toArray();

        weightedTree();
        Phase tree = phase(all, true);
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
                String classId = "1:" + (10 + active[k]);
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

    /** The bytes the uplink's root qdisc ("root") and each of its classes ("1:10" ...) have sent; one tc batch. */
    private static Map<String, Long> uplinkBytes() {
        String shown = COMMANDS.check(List.of("tc", "-n", HUB, "-s", "-batch", "-"),
                "qdisc show dev " + UPLINK + " root\nclass show dev " + UPLINK + "\n").stdout();
        Map<String, Long> bytes = new LinkedHashMap<>();
        String owner = null;
        for (String line : shown.lines().toList()) {
            if (line.startsWith("qdisc htb 1: root")) {
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
        System.out.printf("%-58s %10s %10s %8s  %s%n", "", "HTB tree", "one class", "ratio", "goal");
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
        System.out.printf("%nthe tree's shares are the bytes each workspace's class sent (what HTB accounts), the one"
                + " class's are iperf3 goodput (it has no per-workspace classes); the tree's Jain from iperf3 goodput:"
                + " %.4f%n", medians.get("tree_jain_weighted_iperf3"));

        String out = args.get("out", null);
        if (out != null) {
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = json.createObjectNode().put("scenario", "host-fairness").put("uplink_mbit", uplinkMbit)
                    .put("seconds", seconds).put("omit", omit);
            ObjectNode meta = root.putObject("meta");
            args.meta().forEach(meta::put);
            root.putPOJO("weights", WEIGHTS);
            root.putPOJO("medians", medians);
            root.putPOJO("runs", results);
            Files.writeString(Path.of(out), json.writeValueAsString(root));
            System.out.println("\nwritten to " + out);
        }
    }
}
