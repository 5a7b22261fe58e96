package dev.portcullis.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Two async-profiler profiles of the access-cost scenario side by side: the open gateway and the
 * access-on gateway of one build, recorded at the same time under the same requests (the bearer token
 * included), in collapsed form with {@code threads} and {@code total} (each line's value is bytes for
 * {@code alloc}, nanoseconds for {@code cpu} or {@code itimer}). Only the event loop's stacks count
 * (the thread frame {@code [gateway-io-...]}); every figure is divided by the requests that gateway
 * completed while it was recorded, so the two compare per request although their throughput differs.
 *
 * <p>It prints what the access-on gateway spends per request more than the open one: for an
 * allocation profile, by allocated type and the code that allocated it (the innermost gateway frame
 * and the frame that made the object); for a CPU profile, by method, inclusive of what it calls.
 * Hand-written rather than async-profiler's own {@code --diff} (jfrconv), which compares sample
 * counts, not per-request figures of two processes with different throughput.
 */
public final class AccessCostProfile {
    static final String LOOP_THREAD = "[gateway-io-";
    private static final String OUR_CODE = "dev/portcullis/";
    private static final Pattern LAMBDA_ADDRESS = Pattern.compile("\\$\\$Lambda[./]0x[0-9a-f]+");
    // Netty unpacks its native libraries under a random name per process: /tmp/libnetty_tcnative_linux_x86_64123.so
    private static final Pattern NATIVE_LIBRARY_COPY = Pattern.compile("(/lib[a-z_0-9]*?_x86_64|_aarch_64)\\d+\\.so");

    /** A profile read per request: the event loop's total and its parts by key, in bytes or ns per request. */
    record PerRequest(double total, Map<String, Double> parts) {}

    /** One key's figure in both profiles, per request. */
    record Difference(String key, double open, double access) {
        double added() {
            return access - open;
        }
    }

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        String event = args.get("event");
        boolean allocation = switch (event) {
            case "alloc" -> true;
            case "cpu", "itimer" -> false;
            default -> throw new IllegalArgumentException("--event " + event + " (expected: alloc, cpu or itimer)");
        };
        PerRequest open = read(Path.of(args.get("open")), requests(args, "open-requests"), allocation);
        PerRequest access = read(Path.of(args.get("access")), requests(args, "access-requests"), allocation);
        System.out.println(table(open, access, allocation, args.getInt("top", 25)));
    }

    private static long requests(Args args, String name) {
        long requests = Long.parseLong(args.get(name));
        if (requests <= 0) {
            throw new IllegalArgumentException("--" + name + " " + requests + " (expected: > 0)");
        }
        return requests;
    }

    static PerRequest read(Path collapsed, long requests, boolean allocation) throws IOException {
        return perRequest(Files.readAllLines(collapsed), requests, allocation);
    }

    /**
     * The event loop's stacks of {@code lines} (collapsed: frames separated by ';', then the value)
     * per request, keyed by allocation site or by method (inclusive).
     */
    static PerRequest perRequest(List<String> lines, long requests, boolean allocation) {
        double total = 0;
        Map<String, Double> parts = new HashMap<>();
        for (String line : lines) {
            int space = line.lastIndexOf(' ');
            if (space < 0 || !line.startsWith(LOOP_THREAD)) {
                continue;
            }
            long value = Long.parseLong(line.substring(space + 1));
            String[] frames = line.substring(0, space).split(";");
            total += value;
            if (allocation) {
                parts.merge(allocationSite(frames), (double) value, Double::sum);
            } else {
                Set<String> seen = new HashSet<>();
                for (int i = 1; i < frames.length; i++) {
                    String method = plain(frames[i]);
                    if (seen.add(method)) {
                        parts.merge(method, (double) value, Double::sum);
                    }
                }
            }
        }
        Map<String, Double> perRequest = new HashMap<>();
        parts.forEach((key, value) -> perRequest.put(key, value / requests));
        return new PerRequest(total / requests, perRequest);
    }

    /** The allocated type, the frame that made it, and the innermost frame of the gateway's own code above it. */
    static String allocationSite(String[] frames) {
        String type = plain(frames[frames.length - 1]);
        String maker = frames.length >= 3 ? plain(frames[frames.length - 2]) : "?"; // frames[0] is the thread
        String ours = null;
        for (int i = frames.length - 2; i > 0 && ours == null; i--) {
            if (frames[i].startsWith(OUR_CODE)) {
                ours = plain(frames[i]);
            }
        }
        return type + " by " + maker + (ours == null || ours.equals(maker) ? "" : " in " + ours);
    }

    /**
     * A frame without async-profiler's kind suffix ({@code _[j]} compiled, {@code _[i]} inlined, ...)
     * and without what differs between the two processes: a lambda class's address, the random
     * name of a native library's unpacked copy.
     */
    static String plain(String frame) {
        int suffix = frame.lastIndexOf("_[");
        String plain = suffix > 0 && frame.endsWith("]") ? frame.substring(0, suffix) : frame;
        plain = LAMBDA_ADDRESS.matcher(plain).replaceAll("\\$\\$Lambda");
        return NATIVE_LIBRARY_COPY.matcher(plain).replaceAll("$1.so");
    }

    /** The keys whose figure differs most between the two, largest difference first (either sign). */
    static List<Difference> differences(PerRequest open, PerRequest access) {
        Set<String> keys = new HashSet<>(open.parts().keySet());
        keys.addAll(access.parts().keySet());
        List<Difference> all = new ArrayList<>();
        for (String key : keys) {
            all.add(new Difference(key, open.parts().getOrDefault(key, 0.0), access.parts().getOrDefault(key, 0.0)));
        }
        all.sort((a, b) -> Double.compare(Math.abs(b.added()), Math.abs(a.added())));
        return all;
    }

    static String table(PerRequest open, PerRequest access, boolean allocation, int top) {
        String unit = allocation ? "B" : "ns";
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "event loop, %s per request: open %.0f, access on %.0f (%+.0f)%n", unit,
                open.total(), access.total(), access.total() - open.total()));
        out.append(String.format(Locale.ROOT, "%10s %10s %10s  %s%n", "open", "on", "added",
                allocation ? "allocated type by the frame that made it, in the gateway's frame" : "method (inclusive)"));
        List<Difference> differences = differences(open, access);
        for (Difference d : differences.subList(0, Math.min(top, differences.size()))) {
            out.append(String.format(Locale.ROOT, "%10.1f %10.1f %+10.1f  %s%n", d.open(), d.access(), d.added(), d.key()));
        }
        return out.toString();
    }
}
