package dev.portcullis.loadtest;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where the memory of the tunnels went: the difference of two gateway snapshots, per tunnel. */
final class MemoryBreakdown {
    /** Classes listed: enough to cover what a tunnel holds, few enough to read. */
    static final int TOP_CLASSES = 20;

    private MemoryBreakdown() {}

    /** The classes that grew most, largest first: bytes and instances per tunnel. */
    static Map<String, Map<String, Double>> classes(Map<String, long[]> before, Map<String, long[]> after, int tunnels) {
        Map<String, Map<String, Double>> grown = new LinkedHashMap<>();
        after.entrySet().stream()
                .map(entry -> Map.entry(entry.getKey(), difference(before.get(entry.getKey()), entry.getValue())))
                .filter(entry -> entry.getValue()[1] > 0)
                .sorted(Comparator.comparingLong((Map.Entry<String, long[]> entry) -> entry.getValue()[1]).reversed())
                .limit(TOP_CLASSES)
                .forEach(entry -> grown.put(entry.getKey(), Map.of(
                        "bytes", IdleTunnels.perTunnel(entry.getValue()[1], tunnels),
                        "instances", IdleTunnels.perTunnel(entry.getValue()[0], tunnels))));
        return grown;
    }

    /** Native memory tracking's committed KiB per tunnel, for every category that changed. */
    static Map<String, Double> nativeCategories(Map<String, Long> before, Map<String, Long> after, int tunnels) {
        Map<String, Double> changed = new LinkedHashMap<>();
        after.forEach((category, committed) -> {
            double perTunnel = IdleTunnels.perTunnel(committed - before.getOrDefault(category, 0L), tunnels);
            if (perTunnel != 0) {
                changed.put(category, perTunnel);
            }
        });
        return changed;
    }

    private static long[] difference(long[] before, long[] after) {
        return before == null ? after : new long[] {after[0] - before[0], after[1] - before[1]};
    }
}
