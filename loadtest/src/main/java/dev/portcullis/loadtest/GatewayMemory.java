package dev.portcullis.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory of a running JVM, seen from outside: heap used and committed after a full GC, RSS,
 * open descriptors; and, to say where it goes, the heap by class (GC.class_histogram) and the JVM's
 * native memory by category when the JVM runs with {@code -XX:NativeMemoryTracking=summary}.
 */
final class GatewayMemory {
    /**
     * A heap line of GC.heap_info: "DefNew total 116224K, used 0K [0x.., 0x.., 0x..)" and "Tenured total ..., used
     * 15631K [...]" (Serial, JDK 25), "garbage-first heap total reserved 6172672K, committed 393216K, used 10867K
     * [0x.., 0x..)" (G1, JDK 25). Sub-space lines say "6% used"; Metaspace lines have no "total".
     */
    private static final Pattern HEAP_LINE = Pattern.compile(
            "(?m)^\\s*\\S[^\\n]*?\\btotal (?:reserved \\d+K, committed )?(\\d+)K[^\\n]*?\\bused (\\d+)K"
                    + "[^\\n]*?\\[(0x[0-9a-f]+),[^\\n]*?(0x[0-9a-f]+)\\)");
    /** A mapping's first line in /proc/PID/smaps ("7f..-7f.. rw-p ...") and its resident size. */
    private static final Pattern SMAPS_MAPPING = Pattern.compile("(?m)^([0-9a-f]+)-([0-9a-f]+) ");
    private static final Pattern SMAPS_RSS = Pattern.compile("(?m)^Rss:\\s+(\\d+) kB");
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");
    /** "-                 Java Heap (reserved=262144KB, committed=34816KB)" in VM.native_memory summary scale=KB. */
    private static final Pattern NMT_CATEGORY = Pattern.compile("(?m)^-\\s+(\\S[^(\\n]*?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
    private static final Pattern NMT_TOTAL = Pattern.compile("(?m)^Total: reserved=\\d+KB, committed=(\\d+)KB");
    /** "   1:         12345        1234560  [B (java.base@25)" in GC.class_histogram. */
    private static final Pattern HISTOGRAM_LINE = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

    /** One look at the gateway: sizes in KiB; classes as instances and bytes; nmt empty when tracking is off. */
    record Snapshot(Map<String, Long> sizes, Map<String, long[]> classes, Map<String, Long> nmtCommittedKib) {
        long size(String key) {
            return sizes.get(key);
        }
    }

    private GatewayMemory() {}

    static Snapshot measure(long pid, String jcmd) throws IOException, InterruptedException {
        String target = Long.toString(pid);
        // Twice: what a Cleaner or finalizer still reached in the first collection can go in the second
        // (after one collection the heap still counted about 2 MB that a second one freed).
        run(jcmd, target, "GC.run");
        run(jcmd, target, "GC.run");
        Map<String, Long> sizes = new LinkedHashMap<>();
        String heapInfo = run(jcmd, target, "GC.heap_info");
        long[] heap = heapKib(heapInfo);
        sizes.put("heap_used_kib", heap[0]);
        sizes.put("heap_committed_kib", heap[1]);
        sizes.put("rss_kib", rssKib(pid));
        // Resident pages of the Java heap: touched once, they stay resident whether used or free.
        sizes.put("rss_java_heap_kib", residentKibWithin(Files.readString(Path.of("/proc/" + pid + "/smaps")), heap[2], heap[3]));
        // glibc keeps memory that native code (OpenSSL, the JIT) freed; the JVM can hand it back
        // (-XX:TrimNativeHeapInterval does so periodically): RSS after that is what stays in use.
        run(jcmd, target, "System.trim_native_heap");
        sizes.put("rss_trimmed_kib", rssKib(pid));
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            sizes.put("open_fds", fds.count());
        }
        // The histogram walks the heap again; it runs after the GC above, so it sees live objects only.
        Map<String, long[]> classes = classHistogram(run(jcmd, target, "GC.class_histogram", "-all=false"));
        return new Snapshot(sizes, classes, nativeMemory(run(false, jcmd, target, "VM.native_memory", "summary", "scale=KB")));
    }

    private static long rssKib(long pid) throws IOException {
        Matcher rss = RSS.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
        if (!rss.find()) {
            throw new IOException("no VmRSS in /proc/" + pid + "/status");
        }
        return Long.parseLong(rss.group(1));
    }

    /**
     * Over the heap's generations (or its one region heap) in a GC.heap_info answer: KiB used, KiB
     * committed ("total"), and the lowest and highest address of the reserved range.
     */
    static long[] heapKib(String heapInfo) {
        Matcher line = HEAP_LINE.matcher(heapInfo);
        long used = 0;
        long committed = 0;
        long low = Long.MAX_VALUE;
        long high = 0;
        boolean found = false;
        while (line.find()) {
            committed += Long.parseLong(line.group(1));
            used += Long.parseLong(line.group(2));
            low = Math.min(low, Long.parseUnsignedLong(line.group(3).substring(2), 16));
            high = Math.max(high, Long.parseUnsignedLong(line.group(4).substring(2), 16));
            found = true;
        }
        if (!found) {
            throw new IllegalArgumentException("GC.heap_info: no heap line in '" + heapInfo + "'");
        }
        return new long[] {used, committed, low, high};
    }

    /** The resident KiB of the mappings in /proc/PID/smaps that lie within [low, high). */
    static long residentKibWithin(String smaps, long low, long high) {
        long resident = 0;
        Matcher mapping = SMAPS_MAPPING.matcher(smaps);
        Matcher rss = SMAPS_RSS.matcher(smaps);
        while (mapping.find()) {
            long start = Long.parseUnsignedLong(mapping.group(1), 16);
            long end = Long.parseUnsignedLong(mapping.group(2), 16);
            if (start >= low && end <= high && rss.find(mapping.end())) {
                resident += Long.parseLong(rss.group(1));
            }
        }
        return resident;
    }

    /** Instances and bytes by class name. */
    static Map<String, long[]> classHistogram(String histogram) {
        Map<String, long[]> classes = new LinkedHashMap<>();
        Matcher line = HISTOGRAM_LINE.matcher(histogram);
        while (line.find()) {
            classes.merge(line.group(3), new long[] {Long.parseLong(line.group(1)), Long.parseLong(line.group(2))},
                    (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        }
        return classes;
    }

    /** Committed KiB by category and in total ("Total"); empty when native memory tracking is off. */
    static Map<String, Long> nativeMemory(String summary) {
        Map<String, Long> committed = new LinkedHashMap<>();
        Matcher total = NMT_TOTAL.matcher(summary);
        if (!total.find()) {
            return committed;
        }
        committed.put("Total", Long.parseLong(total.group(1)));
        Matcher category = NMT_CATEGORY.matcher(summary);
        while (category.find()) {
            committed.put(category.group(1).trim(), Long.parseLong(category.group(2)));
        }
        return committed;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        return run(true, command);
    }

    /** @param mustSucceed false for VM.native_memory, which answers that tracking is off when it is */
    private static String run(boolean mustSucceed, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroy();
            throw new IOException(String.join(" ", command) + " did not answer within 60 s");
        }
        if (mustSucceed && process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
        return new String(output, StandardCharsets.UTF_8);
    }
}
