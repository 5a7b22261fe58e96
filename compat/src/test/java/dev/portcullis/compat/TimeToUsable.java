package dev.portcullis.compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One app's time to usable, opened directly (the host's browser to the workspace address, plain
 * HTTP) and through the gateway (HTTPS, signed in), measured alternately in the same run, each in a
 * fresh browser profile (a cold browser cache, as a new tab on a new machine).
 */
final class TimeToUsable {
    private final String app;
    private final List<Duration> direct = new ArrayList<>();
    private final List<Duration> gateway = new ArrayList<>();

    TimeToUsable(String app) {
        this.app = app;
    }

    void direct(Duration time) {
        direct.add(time);
    }

    void gateway(Duration time) {
        gateway.add(time);
    }

    /** {@code code-server: direct 3.41 s, through the gateway 3.62 s (1.06x), medians of 3 each}. */
    String line() {
        if (direct.isEmpty() || gateway.isEmpty()) {
            return app + ": not measured";
        }
        double directSeconds = median(direct), gatewaySeconds = median(gateway);
        return String.format(Locale.ROOT, "%s: direct %.2f s, through the gateway %.2f s (%.2fx), medians of %d each;"
                        + " direct %s, gateway %s",
                app, directSeconds, gatewaySeconds, gatewaySeconds / directSeconds, direct.size(), seconds(direct),
                seconds(gateway));
    }

    private static double median(List<Duration> times) {
        List<Duration> sorted = times.stream().sorted().toList();
        int middle = sorted.size() / 2;
        long nanos = sorted.size() % 2 == 1 ? sorted.get(middle).toNanos()
                : (sorted.get(middle - 1).toNanos() + sorted.get(middle).toNanos()) / 2;
        return nanos / 1e9;
    }

    private static String seconds(List<Duration> times) {
        return times.stream().map(time -> String.format(Locale.ROOT, "%.2f", time.toNanos() / 1e9)).toList().toString();
    }
}
