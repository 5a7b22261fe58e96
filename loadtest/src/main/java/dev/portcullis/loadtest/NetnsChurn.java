package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/**
 * {@code loadtest/run.sh netns-churn}: the host agent creating and deleting workspace networks
 * (namespace, veth, addresses, one nftables transaction, tc, route) one after another, beside the
 * least the kernel makes anyone pay for a workspace, {@code ip netns add} + {@code ip link add veth}
 * + their deletes, measured in the same run. Also counts the rules of the agent's table as the
 * workspaces grow: per-workspace changes must touch set elements only, so it must not grow.
 * Needs root; everything it builds carries its own prefixes and is removed at the end.
 */
public final class NetnsChurn {
    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();

    private NetnsChurn() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        int workspaces = args.getInt("workspaces", 200);
        int rounds = args.getInt("rounds", 3);
        Path out = Path.of(args.get("out"));
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("netns-churn builds network namespaces: run it as root");
        }
        String tag = "b" + Long.toString(ProcessHandle.current().pid() % 46656, 36);
        Path state = Files.createTempDirectory("portcullis-netns-churn");
        AgentConfig config = AgentConfig.builder()
                .stateDir(state)
                .socketPath(state.resolve("agent.sock"))
                .namespacePrefix("pcb" + tag + "-")
                .interfacePrefix(tag)
                .tableName("pcb_" + tag)
                .addressRange(Ipv4Cidr.parse(args.get("range", "10.214.0.0/20")))
                .slotPrefixLength(31)
                .globalForwarding(false)
                .reconcileInterval(Duration.ofHours(1))
                .hostName("netns-churn")
                .build();
        WorkspaceNetworks agent = new WorkspaceNetworks(config, COMMANDS, new InMemoryRouteSink(), StepListener.NONE,
                Clock.systemUTC());
        Histogram create = new Histogram(3);
        Histogram delete = new Histogram(3);
        Histogram baseline = new Histogram(3);
        List<int[]> rulesAt = new ArrayList<>();
        try {
            agent.start();
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < workspaces; i++) {
                    long start = System.nanoTime();
                    agent.create(new WorkspaceSpec(WorkspaceId.of("churn-" + i), "bench", "bench", Optional.empty(), 0));
                    create.recordValue((System.nanoTime() - start) / 1000);
                    if (round == 0 && (i == 0 || (i + 1) % (workspaces / 4) == 0)) {
                        rulesAt.add(new int[] {i + 1, ruleCount(config.tableName())});
                    }
                }
                for (int i = 0; i < workspaces; i++) {
                    long start = System.nanoTime();
                    agent.delete(WorkspaceId.of("churn-" + i));
                    delete.recordValue((System.nanoTime() - start) / 1000);
                }
                for (int i = 0; i < Math.min(workspaces, 100); i++) {
                    baseline.recordValue(bareNamespace(tag, i));
                }
            }
        } finally {
            agent.removeEverything();
            sweep(tag);
            try (var files = Files.walk(state)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (String entry : args.all("meta")) {
            int equals = entry.indexOf('=');
            meta.put(entry.substring(0, Math.max(equals, 0)), entry.substring(equals + 1));
        }
        report(out, workspaces, rounds, create, delete, baseline, rulesAt, meta);
    }

    /** The kernel's part alone: a namespace with a veth peer created inside it, then both deleted (µs). */
    private static long bareNamespace(String tag, int i) {
        String ns = "pcb" + tag + "-bare" + i;
        String host = tag + "x" + i;
        long start = System.nanoTime();
        COMMANDS.check("ip", "netns", "add", ns);
        COMMANDS.check("ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns);
        COMMANDS.check("ip", "link", "delete", host);
        COMMANDS.check("ip", "netns", "delete", ns);
        return (System.nanoTime() - start) / 1000;
    }

    private static int ruleCount(String table) throws IOException {
        String json = COMMANDS.check("nft", "-j", "list", "table", "inet", table).stdout();
        int rules = 0;
        for (JsonNode item : new ObjectMapper().readTree(json).path("nftables")) {
            rules += item.has("rule") ? 1 : 0;
        }
        return rules;
    }

    /** Whatever a crashed run left with this run's prefixes. */
    private static void sweep(String tag) {
        for (String line : COMMANDS.run("ip", "netns", "list").stdout().split("\n")) {
            String ns = line.strip().split(" ", 2)[0];
            if (ns.startsWith("pcb" + tag + "-")) {
                COMMANDS.run("ip", "netns", "delete", ns);
            }
        }
        COMMANDS.run("nft", "delete", "table", "inet", "pcb_" + tag);
    }

    private static void report(Path out, int workspaces, int rounds, Histogram create, Histogram delete,
                               Histogram baseline, List<int[]> rulesAt, Map<String, String> meta) throws IOException {
        double bare = baseline.getValueAtPercentile(50);
        System.out.printf("%nnetns-churn: %d workspaces × %d rounds, one after another%n%n", workspaces, rounds);
        System.out.printf("%-36s %10s %10s %10s %14s%n", "operation", "p50 ms", "p99 ms", "max ms", "p50 × bare");
        row("agent create (netns, veth, nft, tc, route)", create, bare);
        row("agent delete", delete, bare);
        row("bare: ip netns + veth, add and delete", baseline, bare);
        System.out.printf("%nrules in the agent's table as workspaces grow: %s%n",
                String.join(", ", rulesAt.stream().map(r -> r[0] + " ws → " + r[1]).toList()));
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode().put("scenario", "netns-churn").put("workspaces", workspaces)
                .put("rounds", rounds);
        meta.forEach(root.putObject("meta")::put);
        for (var entry : List.of(Map.entry("create", create), Map.entry("delete", delete), Map.entry("bare_netns_veth", baseline))) {
            ObjectNode node = root.putObject(entry.getKey());
            node.put("p50_ms", entry.getValue().getValueAtPercentile(50) / 1000.0)
                    .put("p99_ms", entry.getValue().getValueAtPercentile(99) / 1000.0)
                    .put("max_ms", entry.getValue().getMaxValue() / 1000.0)
                    .put("count", entry.getValue().getTotalCount());
        }
        var rules = root.putArray("rules_at");
        rulesAt.forEach(r -> rules.addObject().put("workspaces", r[0]).put("rules", r[1]));
        Files.writeString(out, json.writeValueAsString(root));
        System.out.println("\nwritten to " + out);
    }

    private static void row(String name, Histogram histogram, double bare) {
        System.out.printf("%-36s %10.1f %10.1f %10.1f %14.2f%n", name, histogram.getValueAtPercentile(50) / 1000.0,
                histogram.getValueAtPercentile(99) / 1000.0, histogram.getMaxValue() / 1000.0,
                histogram.getValueAtPercentile(50) / bare);
    }
}
