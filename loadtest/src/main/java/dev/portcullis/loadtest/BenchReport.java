package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the samples of a scenario run (a TSV file, one row per target, mode and repetition) into
 * medians, ratios to nginx, a printed table and a JSON result file.
 */
public final class BenchReport {
    static final String REFERENCE = "nginx";
    // The goals compare with nginx, and over HTTP/2 with HAProxy too.
    static final List<String> REFERENCES = List.of(REFERENCE, "haproxy");
    // The usual targets come first in tables; any other (a scenario's own) follows in the order it ran.
    static final List<String> ORDER = List.of("direct", "nginx", "haproxy", "portcullis", "portcullis-jdk",
            "portcullis-access");
    static final List<String> METRICS = List.of("rps", "p50_us", "p90_us", "p99_us", "p999_us", "mean_us",
            "cpu_us_per_req", "user_us_per_req", "sys_us_per_req", "backend_cpu_us_per_req", "requests", "errors",
            "max_us", "client_core_busy", "proxy_core_busy", "proxy_cores_used");

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        List<Map<String, String>> rows = readTsv(Path.of(args.get("samples")));
        Map<String, Object> meta = new LinkedHashMap<>(args.meta());
        // The closed-loop load generator: wrk (http1) or h2load (h2); it names the JSON section and the table.
        String generator = args.get("load-generator", "wrk");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("meta", meta);
        for (String mode : List.of("closed", "open")) {
            Map<String, Map<String, Double>> medians = medians(rows, mode);
            if (medians.isEmpty()) {
                continue;
            }
            Map<String, Object> section = new LinkedHashMap<>();
            section.put("median", medians);
            for (String reference : REFERENCES) {
                section.put("ratio_to_" + reference, ratios(medians, reference));
                section.put("cpu_ratio_to_" + reference + "_within_repetitions", cpuRatiosWithinRepetitions(rows, mode, reference));
            }
            section.put("samples", rows.stream().filter(row -> row.get("mode").equals(mode)).toList());
            result.put(mode.equals("closed") ? "closed_loop_" + generator : "open_loop_fixed_rate", section);
            System.out.println(table(mode, generator, medians));
        }
        Path out = Path.of(args.get("out"));
        writeResults(out, result);
    }

    /** Writes a scenario's results as indented JSON to {@code out} and says where. */
    static void writeResults(Path out, Object result) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        System.out.println("results: " + out);
    }

    static List<Map<String, String>> readTsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String[] header = lines.get(0).split("\t", -1);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split("\t", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], i < cells.length ? cells[i] : "");
            }
            rows.add(row);
        }
        return rows;
    }

    /** target → metric → median over the repetitions; a metric no row of a target has is left out. */
    static Map<String, Map<String, Double>> medians(List<Map<String, String>> rows, String mode) {
        Map<String, Map<String, List<Double>>> byTarget = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            if (!row.get("mode").equals(mode)) {
                continue;
            }
            Map<String, List<Double>> metrics = byTarget.computeIfAbsent(row.get("target"), k -> new LinkedHashMap<>());
            for (String metric : METRICS) {
                String cell = row.getOrDefault(metric, "");
                if (!cell.isEmpty()) {
                    metrics.computeIfAbsent(metric, k -> new ArrayList<>()).add(Double.parseDouble(cell));
                }
            }
        }
        Map<String, Map<String, Double>> medians = new LinkedHashMap<>();
        List<String> targets = new ArrayList<>(ORDER);
        byTarget.keySet().stream().filter(target -> !ORDER.contains(target)).forEach(targets::add);
        for (String target : targets) {
            Map<String, List<Double>> metrics = byTarget.get(target);
            if (metrics != null) {
                Map<String, Double> median = new LinkedHashMap<>();
                metrics.forEach((metric, values) -> median.put(metric, Medians.of(values)));
                medians.put(target, median);
            }
        }
        return medians;
    }

    static Map<String, Map<String, Double>> ratios(Map<String, Map<String, Double>> medians) {
        return ratios(medians, REFERENCE);
    }

    /**
     * target → the median over the repetitions of its CPU per request divided by {@code reference}'s
     * in the same repetition: a neighbour that slowed one repetition down slows both sides of its ratio.
     */
    static Map<String, Double> cpuRatiosWithinRepetitions(List<Map<String, String>> rows, String mode, String reference) {
        Map<String, Double> referenceByRep = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            String cpu = row.getOrDefault("cpu_us_per_req", "");
            if (row.get("mode").equals(mode) && row.get("target").equals(reference) && !cpu.isEmpty()) {
                referenceByRep.put(row.get("rep"), Double.parseDouble(cpu));
            }
        }
        Map<String, List<Double>> byTarget = new LinkedHashMap<>();
        for (Map<String, String> row : rows) {
            String cpu = row.getOrDefault("cpu_us_per_req", "");
            Double same = referenceByRep.get(row.get("rep"));
            if (row.get("mode").equals(mode) && !cpu.isEmpty() && same != null) {
                double ratio = Medians.ratio(Double.parseDouble(cpu), same);
                if (!Double.isNaN(ratio)) {
                    byTarget.computeIfAbsent(row.get("target"), k -> new ArrayList<>()).add(ratio);
                }
            }
        }
        Map<String, Double> ratios = new LinkedHashMap<>();
        byTarget.forEach((target, values) -> ratios.put(target, Math.round(Medians.of(values) * 100) / 100.0));
        return ratios;
    }

    static Map<String, Map<String, Double>> ratios(Map<String, Map<String, Double>> medians, String referenceTarget) {
        Map<String, Double> reference = medians.getOrDefault(referenceTarget, Map.of());
        Map<String, Map<String, Double>> ratios = new LinkedHashMap<>();
        medians.forEach((target, metrics) -> {
            Map<String, Double> ratio = new LinkedHashMap<>();
            for (String metric : List.of("rps", "p50_us", "p99_us", "cpu_us_per_req")) {
                double value = Medians.ratio(metrics.getOrDefault(metric, Double.NaN),
                        reference.getOrDefault(metric, Double.NaN));
                if (!Double.isNaN(value)) {
                    ratio.put(metric, Math.round(value * 100) / 100.0);
                }
            }
            ratios.put(target, ratio);
        });
        return ratios;
    }

    static String table(String mode, String generator, Map<String, Map<String, Double>> medians) {
        Map<String, Map<String, Double>> ratios = ratios(medians);
        Map<String, Map<String, Double>> toHaproxy = ratios(medians, "haproxy");
        StringBuilder out = new StringBuilder();
        out.append(mode.equals("closed") ? "closed loop (" + generator + "), medians" : "open loop (fixed rate), medians")
                .append('\n');
        out.append(String.format("%-20s %9s %8s %8s %8s %12s %13s %10s %12s %11s %7s%n", "target", "req/s", "p50 ms",
                "p99 ms", mode.equals("closed") ? "p90 ms" : "p99.9 ms", "CPU us/req", "(user+sys)", "CPU/nginx",
                "CPU/haproxy", "req/s/nginx", "errors"));
        medians.forEach((target, m) -> out.append(String.format("%-20s %9.0f %8.3f %8.3f %8.3f %12.1f %13s %10s %12s %11s %7.0f%n",
                target, m.getOrDefault("rps", Double.NaN), m.getOrDefault("p50_us", Double.NaN) / 1000,
                m.getOrDefault("p99_us", Double.NaN) / 1000,
                m.getOrDefault(mode.equals("closed") ? "p90_us" : "p999_us", Double.NaN) / 1000,
                m.getOrDefault("cpu_us_per_req", Double.NaN), split(m), format(ratios.get(target).get("cpu_us_per_req")),
                format(toHaproxy.get(target).get("cpu_us_per_req")), format(ratios.get(target).get("rps")),
                m.getOrDefault("errors", 0.0))));
        return out.toString();
    }

    private static String split(Map<String, Double> m) {
        return m.containsKey("user_us_per_req")
                ? String.format("(%.1f+%.1f)", m.get("user_us_per_req"), m.get("sys_us_per_req")) : "";
    }

    private static String format(Double ratio) {
        return ratio == null ? "-" : String.format("%.2fx", ratio);
    }
}
