package dev.portcullis.loadtest;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The fairness scenario's verdict: the goals against the medians, and the printed table. */
final class FairnessReport {
    private FairnessReport() {}

    /** The goals against the medians: name, value, goal, met. */
    static Map<String, Object> goals(Map<String, Double> m) {
        Map<String, Object> goals = new LinkedHashMap<>();
        goals.put("jain_10s >= 0.98", goal(m.get("jain_10s_fair"), m.get("jain_10s_fair") >= 0.98));
        goals.put("jain_1s >= 0.95 (every second)", goal(m.get("jain_1s_min_fair"), m.get("jain_1s_min_fair") >= 0.95));
        goals.put("weights 1:2:4 within 5%", goal(m.get("weights_worst_relative_error"),
                m.get("weights_worst_relative_error") <= 0.05));
        goals.put("2 of 10 active get >= 95% of capacity", goal(m.get("conservation_of_capacity"),
                m.get("conservation_of_capacity") >= 0.95));
        goals.put("light p99 with heavy <= 2x alone", goal(m.get("light_p99_ratio_fair"), m.get("light_p99_ratio_fair") <= 2));
        goals.put("overhead: throughput >= 95% of off", goal(m.get("overhead_throughput_ratio"),
                m.get("overhead_throughput_ratio") >= 0.95));
        return goals;
    }

    private static Map<String, Object> goal(double value, boolean met) {
        Map<String, Object> goal = new LinkedHashMap<>();
        goal.put("value", value);
        goal.put("met", met);
        return goal;
    }

    /** The table: per workspace with and without fairness, then every measure, then the goals. */
    static void print(double capacity, Map<String, Double> m, Map<String, Double> fair, Map<String, Double> off, int runs) {
        System.out.printf(Locale.ROOT, "%nFairness scenario, medians of %d runs, capacity %.1f MB/s (%.0f Mbit/s)%n%n", runs,
                capacity / 1e6, capacity * 8 / 1e6);
        System.out.printf(Locale.ROOT, "%-10s %14s %14s%n", "workspace", "fair MB/s", "off MB/s");
        for (String workspace : fair.keySet()) {
            System.out.printf(Locale.ROOT, "%-10s %14.2f %14.2f%n", workspace, fair.get(workspace) / 1e6,
                    off.get(workspace) / 1e6);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-48s %12s %12s%n", "measure", "fair", "off");
        row("Jain index, 10 s window", m.get("jain_10s_fair"), m.get("jain_10s_off"));
        row("Jain index, 1 s windows, worst", m.get("jain_1s_min_fair"), m.get("jain_1s_min_off"));
        row("Jain index, 1 s windows, median", m.get("jain_1s_median_fair"), m.get("jain_1s_median_off"));
        row("ws0 (50 connections) share of total", m.get("ws0_share_fair"), m.get("ws0_share_off"));
        row("total MB/s", m.get("total_fair_MBps"), m.get("total_off_MBps"));
        row("light tunnel p50 ms, alone", m.get("light_p50_alone_ms"), m.get("light_p50_alone_off_ms"));
        row("light tunnel p50 ms, heavy running", m.get("light_p50_with_heavy_fair_ms"), m.get("light_p50_with_heavy_off_ms"));
        row("light tunnel p99 ms, alone", m.get("light_p99_alone_ms"), m.get("light_p99_alone_off_ms"));
        row("light tunnel p99 ms, heavy running", m.get("light_p99_with_heavy_fair_ms"), m.get("light_p99_with_heavy_off_ms"));
        row("light tunnel p99 ratio, heavy / alone", m.get("light_p99_ratio_fair"), m.get("light_p99_ratio_off"));
        row("tunnel in ws0 (with its 50 downloads) p99 ms", m.get("heavy_ws_tunnel_p99_fair_ms"), m.get("heavy_ws_tunnel_p99_off_ms"));
        row("gateway CPU s per GB relayed (equal phase)", m.get("gateway_cpu_s_per_GB_fair"), m.get("gateway_cpu_s_per_GB_off"));
        System.out.println();
        System.out.printf(Locale.ROOT, "weights 1:2:4 shares: %.4f %.4f %.4f (targets 0.1429 0.2857 0.5714), worst error %.1f%%%n",
                m.get("share_w1"), m.get("share_w2"), m.get("share_w4"), 100 * m.get("weights_worst_relative_error"));
        System.out.printf(Locale.ROOT, "work conservation, 2 of 10 active: %.1f%% of capacity%n",
                100 * m.get("conservation_of_capacity"));
        System.out.printf(Locale.ROOT, "overhead, fairness on (capacity never reached) vs off, medians of per-run ratios:"
                        + " throughput %.1f%%, gateway CPU per byte %.1f%% (medians: %.2f vs %.2f MB/s, %.3f vs %.3f s/GB)%n",
                100 * m.get("overhead_throughput_ratio"), 100 * m.get("overhead_cpu_per_byte_ratio"),
                m.get("overhead_total_unbounded_MBps"), m.get("overhead_total_off_MBps"),
                m.get("gateway_cpu_s_per_GB_unbounded"), m.get("gateway_cpu_s_per_GB_off"));
        System.out.println();
        goals(m).forEach((name, goal) -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> g = (Map<String, Object>) goal;
            System.out.printf(Locale.ROOT, "  %-44s %10.4f  %s%n", name, (Double) g.get("value"),
                    (Boolean) g.get("met") ? "met" : "NOT MET");
        });
    }

    private static void row(String name, double fair, double off) {
        System.out.printf(Locale.ROOT, "%-48s %12.4f %12.4f%n", name, fair, off);
    }
}
