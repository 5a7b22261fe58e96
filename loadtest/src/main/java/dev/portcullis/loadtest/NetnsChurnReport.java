package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.lifecycle.CreateStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What {@link NetnsChurn} measured, filled in as the run goes, and its report: the table of
 * operations with each p50 against its baseline of the same run, the values at 10 and at 1000
 * workspaces, where a create's time goes, the CPU per create, and each of issue 14's goals with the
 * value of this run and "met" or "MISSED"; printed, and written as JSON.
 */
final class NetnsChurnReport {
    static final int SMALL_TABLE = 10;

    private final Args args;
    private final int spareNamespaces;
    final Histogram bare = new Histogram(3);
    final Histogram createOne = new Histogram(3);
    final Histogram deleteOne = new Histogram(3);
    /** One at a time, each create after the pool has made every spare again (nothing else runs). */
    final Histogram createPoolFull = new Histogram(3);
    final Histogram createAtOnce = new Histogram(3);
    final Histogram createDrained = new Histogram(3);
    /** Spares ready at the start of the bursts: with the pool warm, and right after the burst before. */
    long sparesAtWarmBursts;
    long sparesAtDrainedBursts;
    final Histogram fillFirst = new Histogram(3);
    final Histogram fillLast = new Histogram(3);
    final Histogram deleteFill = new Histogram(3);
    String fillFirstName = "";
    String fillLastName = "";
    // At 10 twice, filling and emptying, so that a change of the machine's load during the run
    // does not pass for an effect of the table's size: the 1000 is compared with their mean.
    final Map<String, Double> atSmall = new LinkedHashMap<>();
    final Map<String, Double> atFull = new LinkedHashMap<>();
    final Map<String, Double> atSmallAgain = new LinkedHashMap<>();
    final Map<Integer, Integer> rulesAt = new LinkedHashMap<>();
    final CreateStepTimes steps = new CreateStepTimes();
    /** Per phase, what its creates cost in CPU. */
    final Map<String, PhaseCost> cpu = new LinkedHashMap<>();

    /**
     * A phase's CPU: the whole process's (the spares' refill, the state's flush and the JIT included),
     * the creating threads' own, and the JIT compilers' time meanwhile; for bursts,
     * the wall time from the start to the last answer too.
     */
    static final class PhaseCost {
        long processNanos;
        long creates;
        long bursts;
        long burstWallNanos;
        long callerNanos;
        long compileMillis;

        double perCreate(long nanos) {
            return nanos / 1e6 / creates;
        }
    }

    PhaseCost cost(String phase) {
        return cpu.computeIfAbsent(phase, any -> new PhaseCost());
    }

    NetnsChurnReport(Args args, int spareNamespaces) {
        this.args = args;
        this.spareNamespaces = spareNamespaces;
    }


    /** The value at 1000 over the mean of the two at 10. */
    private void scaleRow(String name, String key, String unit, String goal) {
        System.out.printf("%-44s %10.2f %s %9.2f %s %10.2f %s %7.2f  %s%n", name, atSmall.get(key), unit, atFull.get(key), unit,
                atSmallAgain.get(key), unit, scaleRatio(key), goal);
    }

    private double scaleRatio(String key) {
        return atFull.get(key) / ((atSmall.get(key) + atSmallAgain.get(key)) / 2);
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
                new Row("  the same, the pool full before each", createPoolFull, "one at a time", createOne),
                new Row(atOnce, createAtOnce, "one at a time", createOne),
                new Row("  then " + args.getInt("concurrent", 20) + " more at once (spares drained)", createDrained,
                        "one at a time", createOne),
                new Row(fillFirstName, fillFirst, "one at a time", createOne),
                new Row(fillLastName, fillLast, fillFirstName.substring("create ".length()), fillFirst),
                new Row("delete, one at a time", deleteOne, "bare", bare),
                new Row("delete, " + fillLastName.replaceAll(".* of ", "") + " down to 0", deleteFill, "delete one at a time",
                        deleteOne));
    }

    void print(Path out) throws IOException {
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
        System.out.printf("%nwhere a create's time goes, p50 ms from the step before (the first: from the call, at once"
                + " from the burst's start, so it includes waiting for a core, the workspace's lock and the state file's group commit)%n");
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
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%nCPU per create, ms (user + system, the kernel work of system calls included), on %d cores:%n", cores);
        System.out.printf("  %-24s %14s %18s %24s%n", "phase", "this process", "creating threads", "JIT compiling meanwhile");
        cpu.forEach((phase, c) -> System.out.printf("  %-24s %14.2f %18.2f %24.2f%n", phase, c.perCreate(c.processNanos),
                c.perCreate(c.callerNanos), (double) c.compileMillis / c.creates));
        cpu.forEach((phase, c) -> {
            if (c.bursts > 0) {
                System.out.printf("  %s: a burst took %.1f ms from the start to the last answer; its CPU spread over every core: %.1f ms,"
                        + " the creating threads' alone %.1f ms%n", phase, c.burstWallNanos / 1e6 / c.bursts,
                        c.processNanos / 1e6 / c.bursts / cores, c.callerNanos / 1e6 / c.bursts / cores);
            }
        });
        int burstRounds = args.getInt("concurrent-rounds", 5);
        System.out.printf("%nspare namespaces (made ahead of demand): %d; ready at the start of a burst, mean: %.1f (pool warm),"
                + " %.1f (right after the burst before)%n", spareNamespaces, (double) sparesAtWarmBursts / burstRounds,
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
        double quietRatio = (double) createAtOnce.getValueAtPercentile(50) / createPoolFull.getValueAtPercentile(50);
        goal("  p50 / the pool-full create's p50", quietRatio, "×", "<= 2", quietRatio <= 2);
        goal("  spares drained, p50 / one at a time p50", drainedRatio, "×", "<= 2", drainedRatio <= 2);
        goal("  spares drained, p99 / one at a time p50", drainedP99Ratio, "×", "<= 2 (each)", drainedP99Ratio <= 2);
        goal("one reconcile pass at " + full, atFull.get("reconcile_ms"), "ms", "<= 2000", atFull.get("reconcile_ms") <= 2000);
        goal("one list at " + full, atFull.get("list_ms"), "ms", "<= 50", atFull.get("list_ms") <= 50);
        System.out.printf("load average after the run: %s%n", loadAverage());

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode().put("scenario", "netns-churn").put("load_average_after", loadAverage())
                .put("spare_namespaces", spareNamespaces)
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
        cpu.forEach((phase, c) -> cpuNode.putObject(phase).put("process", c.perCreate(c.processNanos))
                .put("creating_threads", c.perCreate(c.callerNanos))
                .put("jit_compiling", (double) c.compileMillis / c.creates));
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

}
