package dev.portcullis.loadtest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The access-cost scenario's samples as what access control costs per request on a warm
 * connection: the same build run open and with access control on, under the same load and the same
 * request bytes (the open gateway gets the bearer token too), each repetition measuring both one
 * after the other. For each build and load: CPU per request on the event loop (the thread that does
 * the access check: its user time, and with its system time) and in all threads, bytes allocated per
 * request, and the difference access on minus open, as the median of the per-repetition
 * differences. The goal (issue 15, item 4: at most {@value #GOAL_MICROS} µs per request) is
 * judged on the event loop's whole CPU time for the reference build: the kernel counts a thread's run
 * time exactly, but splits it into user and system time by sampling its ticks (250 a second here),
 * which leaves ±1–2 µs per request of sampling noise in the difference of two gateways' user times
 * (docs/benchmarks.md); the user time is printed beside it.
 */
public final class AccessCostReport {
    static final double GOAL_MICROS = 1.0;
    static final String OPEN = "portcullis";
    static final String ACCESS = "portcullis-access";

    /** One build under one load. */
    record Case(String build, String load) {}

    /**
     * Medians over the repetitions (µs and bytes per request); the differences are medians of the
     * per-repetition differences access on minus open, so a repetition slowed by a neighbour for both
     * gateways cancels out.
     */
    record Summary(Case of, int repetitions, double openLoopMicros, double accessLoopMicros, double loopMicrosAdded,
            double openLoopUserMicros, double accessLoopUserMicros, double loopUserMicrosAdded, double openAllMicros, double accessAllMicros, double allMicrosAdded, double openBytes, double accessBytes,
            double bytesAdded) {}

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        List<Map<String, String>> rows = BenchReport.readTsv(Path.of(args.get("samples")));
        String reference = args.get("reference", "current");
        List<Summary> summaries = summarise(rows);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("meta", new LinkedHashMap<>(args.meta()));
        result.put("goal_micros_per_request", GOAL_MICROS);
        result.put("median", summaries);
        result.put("samples", rows);
        System.out.println(table(summaries, reference));
        Path out = Path.of(args.get("out"));
        BenchReport.writeResults(out, result);
    }

    static List<Summary> summarise(List<Map<String, String>> rows) {
        // (build, load) → repetition → target → row
        Map<Case, Map<String, Map<String, Map<String, String>>>> byCase = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            String target = row.get("target");
            if (!OPEN.equals(target) && !ACCESS.equals(target)) {
                throw new IllegalArgumentException("target '" + target + "' in " + row + " (expected: " + OPEN + " or " + ACCESS + ")");
            }
            if (number(row, "requests") <= 0) {
                throw new IllegalArgumentException("a run of " + target + " (" + row.get("build") + ", " + row.get("load")
                        + ") completed " + row.get("requests") + " requests (expected: more than 0)");
            }
            byCase.computeIfAbsent(new Case(row.get("build"), row.get("load")), k -> new LinkedHashMap<>())
                    .computeIfAbsent(row.get("rep"), k -> new LinkedHashMap<>()).put(target, row);
        }
        List<Summary> summaries = new ArrayList<>();
        byCase.forEach((what, repetitions) -> {
            Lists open = new Lists();
            Lists access = new Lists();
            Lists added = new Lists();
            repetitions.forEach((rep, targets) -> {
                Map<String, String> o = targets.get(OPEN);
                Map<String, String> a = targets.get(ACCESS);
                if (o == null || a == null) {
                    throw new IllegalArgumentException("repetition " + rep + " of " + what + " measured " + targets.keySet()
                            + " (expected: both " + OPEN + " and " + ACCESS + ")");
                }
                open.add(o);
                access.add(a);
                added.loop.add(perRequest(a, "loop_cpu_ns") / 1000 - perRequest(o, "loop_cpu_ns") / 1000);
                added.user.add(perRequest(a, "loop_user_ns") / 1000 - perRequest(o, "loop_user_ns") / 1000);
                added.all.add(perRequest(a, "process_cpu_ns") / 1000 - perRequest(o, "process_cpu_ns") / 1000);
                added.bytes.add(perRequest(a, "total_bytes") - perRequest(o, "total_bytes"));
            });
            summaries.add(new Summary(what, repetitions.size(), Medians.of(open.loop), Medians.of(access.loop),
                    Medians.of(added.loop), Medians.of(open.user), Medians.of(access.user), Medians.of(added.user),
                    Medians.of(open.all), Medians.of(access.all), Medians.of(added.all),
                    Medians.of(open.bytes), Medians.of(access.bytes), Medians.of(added.bytes)));
        });
        return summaries;
    }

    /** Per-request figures of several runs: event-loop µs, all-threads µs, bytes. */
    private static final class Lists {
        final List<Double> loop = new ArrayList<>();
        final List<Double> user = new ArrayList<>();
        final List<Double> all = new ArrayList<>();
        final List<Double> bytes = new ArrayList<>();

        void add(Map<String, String> row) {
            loop.add(perRequest(row, "loop_cpu_ns") / 1000);
            user.add(perRequest(row, "loop_user_ns") / 1000);
            all.add(perRequest(row, "process_cpu_ns") / 1000);
            bytes.add(perRequest(row, "total_bytes"));
        }
    }

    static String table(List<Summary> summaries, String reference) {
        String columns = "%-22s %-5s %4s | %-26s | %-26s | %-26s | %-22s%n";
        StringBuilder out = new StringBuilder(String.format(columns, "build", "load", "reps", "event loop, user µs/req",
                "event loop, all µs/req", "all threads µs/req", "bytes/req"));
        out.append(String.format(columns, "", "", "", "open, on (added)", "open, on (added)", "open, on (added)",
                "open, on (added)"));
        for (Summary s : summaries) {
            out.append(String.format("%-22s %-5s %4d | %6.2f %6.2f (%+7.2f)      | %6.2f %6.2f (%+7.2f)      |"
                            + " %6.2f %6.2f (%+7.2f)      | %5.0f %5.0f (%+5.0f)%n",
                    s.of().build(), s.of().load(), s.repetitions(), s.openLoopUserMicros(), s.accessLoopUserMicros(),
                    s.loopUserMicrosAdded(), s.openLoopMicros(), s.accessLoopMicros(), s.loopMicrosAdded(),
                    s.openAllMicros(), s.accessAllMicros(), s.allMicrosAdded(), s.openBytes(), s.accessBytes(),
                    s.bytesAdded()));
        }
        for (Summary s : summaries) {
            if (s.of().build().equals(reference)) {
                out.append(String.format("goal (issue 15, item 4), %s over %s: access control adds %.2f µs of CPU per"
                                + " request on the event loop (%.2f µs of it user time, sampled by ticks; %.2f µs in all"
                                + " threads) on a warm connection, goal <= %.1f µs: %s%n",
                        reference, s.of().load(), s.loopMicrosAdded(), s.loopUserMicrosAdded(), s.allMicrosAdded(),
                        GOAL_MICROS, s.loopMicrosAdded() <= GOAL_MICROS ? "met" : "missed"));
            }
        }
        return out.toString();
    }

    private static double perRequest(Map<String, String> row, String column) {
        return number(row, column) / number(row, "requests");
    }

    private static double number(Map<String, String> row, String column) {
        String value = row.get(column);
        try {
            return Double.parseDouble(value);
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("column " + column + " = '" + value + "' in " + row + " (expected: a number)", e);
        }
    }
}
