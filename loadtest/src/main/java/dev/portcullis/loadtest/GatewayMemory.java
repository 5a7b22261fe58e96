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

/** The memory of a running JVM, seen from outside: heap used after a full GC, RSS, open descriptors. */
final class GatewayMemory {
    /**
     * A heap line of GC.heap_info: "DefNew total 116224K, used 0K [...]" and "Tenured total ..., used 15631K"
     * (Serial, JDK 25), "garbage-first heap total ..., used 10923K" (G1). Sub-space lines say "6% used";
     * Metaspace lines have no "total".
     */
    private static final Pattern HEAP_LINE = Pattern.compile("(?m)^\\s*\\S[^\\n]*?\\btotal\\b[^\\n]*?\\bused (\\d+)K");
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");

    private GatewayMemory() {}

    static Map<String, Long> measure(long pid, String jcmd) throws IOException, InterruptedException {
        run(jcmd, Long.toString(pid), "GC.run");
        Map<String, Long> memory = new LinkedHashMap<>();
        memory.put("heap_used_kib", heapUsedKib(run(jcmd, Long.toString(pid), "GC.heap_info")));
        Matcher rss = RSS.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
        if (!rss.find()) {
            throw new IOException("no VmRSS in /proc/" + pid + "/status");
        }
        memory.put("rss_kib", Long.parseLong(rss.group(1)));
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            memory.put("open_fds", fds.count());
        }
        return memory;
    }

    /** The sum of "used" over the heap's generations (or its one region heap) in a GC.heap_info answer. */
    static long heapUsedKib(String heapInfo) {
        Matcher line = HEAP_LINE.matcher(heapInfo);
        long used = 0;
        boolean found = false;
        while (line.find()) {
            used += Long.parseLong(line.group(1));
            found = true;
        }
        if (!found) {
            throw new IllegalArgumentException("GC.heap_info: no heap line in '" + heapInfo + "'");
        }
        return used;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
        return new String(output, StandardCharsets.UTF_8);
    }
}
