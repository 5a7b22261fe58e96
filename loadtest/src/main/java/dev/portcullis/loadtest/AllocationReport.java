package dev.portcullis.loadtest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The alloc scenario's samples (one row per repetition, build, gateway and load) as medians of bytes
 * allocated per request, GC pauses per run, and each build's bytes per request as a ratio to the
 * reference build measured in the same run: a printed table and a JSON result file.
 */
public final class AllocationReport {
    /** One gateway (open or with access control) under one load, of one build. */
    record Case(String build, String target, String load) {
        String key() {
            return build + " " + target + " " + load;
        }
    }

    /** Medians over the repetitions of one case; the longest pause is the longest of all its runs. */
    record Summary(Case of, int runs, double loopBytesPerRequest, double totalBytesPerRequest, double gcPausesPerRun,
            double gcPauseMsPerRun, double gcPauseMaxMs, double gcPausesPer100kRequests, double cpuMicrosPerRequest) {}

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        List<Map<String, String>> rows = BenchReport.readTsv(Path.of(args.get("samples")));
        List<Summary> summaries = summarise(rows);
        String reference = args.get("reference", "current");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("meta", new LinkedHashMap<>(args.meta()));
        Map<String, Object> cases = new LinkedHashMap<>();
        for (Summary summary : summaries) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("summary", summary);
            entry.put("total_bytes_ratio_to_" + reference, ratioToReference(summaries, summary, reference));
            cases.put(summary.of().key(), entry);
        }
        result.put("median", cases);
        result.put("samples", rows);
        System.out.println(table(summaries, reference));
        Path out = Path.of(args.get("out"));
        BenchReport.writeResults(out, result);
    }

    static List<Summary> summarise(List<Map<String, String>> rows) {
        Map<Case, List<Map<String, String>>> byCase = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            byCase.computeIfAbsent(new Case(row.get("build"), row.get("target"), row.get("load")), k -> new ArrayList<>()).add(row);
        }
        List<Summary> summaries = new ArrayList<>();
        byCase.forEach((what, runs) -> {
            List<Double> loop = new ArrayList<>();
            List<Double> total = new ArrayList<>();
            List<Double> pauses = new ArrayList<>();
            List<Double> pauseMs = new ArrayList<>();
            List<Double> pausesPer100k = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            double max = 0;
            for (Map<String, String> run : runs) {
                double requests = number(run, "requests");
                if (requests <= 0) {
                    throw new IllegalArgumentException("a run of " + what.key() + " completed " + run.get("requests")
                            + " requests (expected: more than 0)");
                }
                loop.add(number(run, "loop_bytes") / requests);
                total.add(number(run, "total_bytes") / requests);
                pauses.add(number(run, "gc_pauses"));
                pauseMs.add(number(run, "gc_pause_total_ms"));
                pausesPer100k.add(number(run, "gc_pauses") * 100_000 / requests);
                cpu.add(number(run, "cpu_us_per_req"));
                max = Math.max(max, number(run, "gc_pause_max_ms"));
            }
            summaries.add(new Summary(what, runs.size(), Medians.of(loop), Medians.of(total), Medians.of(pauses),
                    Medians.of(pauseMs), max, Medians.of(pausesPer100k), Medians.of(cpu)));
        });
        return summaries;
    }

    /** The case's bytes per request (all threads) over the reference build's for the same gateway and load. */
    static double ratioToReference(List<Summary> summaries, Summary summary, String reference) {
        return summaries.stream()
                .filter(other -> other.of().build().equals(reference) && other.of().target().equals(summary.of().target())
                        && other.of().load().equals(summary.of().load()))
                .findFirst()
                .map(other -> Medians.ratio(summary.totalBytesPerRequest(), other.totalBytesPerRequest()))
                .orElse(Double.NaN);
    }

    static String table(List<Summary> summaries, String reference) {
        StringBuilder out = new StringBuilder(String.format(
                "%-28s %-5s %-22s %12s %12s %9s %8s %10s %8s %10s %8s%n", "gateway", "load", "build", "loop B/req",
                "all B/req", "vs " + reference, "GC/run", "GC ms/run", "max ms", "GC/100k", "CPU µs"));
        List<Summary> sorted = new ArrayList<>(summaries);
        // Grouped by gateway and load, so each build's line sits under the reference's.
        sorted.sort((a, b) -> (a.of().target() + a.of().load()).compareTo(b.of().target() + b.of().load()));
        for (Summary s : sorted) {
            out.append(String.format("%-28s %-5s %-22s %12.0f %12.0f %8.2fx %8.1f %10.1f %8.1f %10.1f %8.1f%n",
                    s.of().target(), s.of().load(), s.of().build(), s.loopBytesPerRequest(), s.totalBytesPerRequest(),
                    ratioToReference(summaries, s, reference), s.gcPausesPerRun(), s.gcPauseMsPerRun(), s.gcPauseMaxMs(),
                    s.gcPausesPer100kRequests(), s.cpuMicrosPerRequest()));
        }
        return out.toString();
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
