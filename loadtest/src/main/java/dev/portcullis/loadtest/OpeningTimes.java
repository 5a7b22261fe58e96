package dev.portcullis.loadtest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** How long the phases of opening a tunnel took, over the last batch: to see which side slows down. */
final class OpeningTimes {
    private final List<Long> connect = new ArrayList<>();
    private final List<Long> handshake = new ArrayList<>();
    private final List<Long> upgrade = new ArrayList<>();

    void add(long connectNanos, long handshakeNanos, long upgradeNanos) {
        connect.add(connectNanos);
        handshake.add(handshakeNanos);
        upgrade.add(upgradeNanos);
    }

    /** Median and 99th percentile of each phase since the last call, in ms; then starts a new batch. */
    String summarizeAndReset() {
        String summary = String.format("connect %s, TLS handshake %s, upgrade %s (median/p99 ms)",
                percentiles(connect), percentiles(handshake), percentiles(upgrade));
        connect.clear();
        handshake.clear();
        upgrade.clear();
        return summary;
    }

    private static String percentiles(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "-";
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return String.format("%.1f/%.1f", sorted.get(sorted.size() / 2) / 1e6,
                sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * 0.99))) / 1e6);
    }
}
