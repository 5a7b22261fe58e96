package dev.portcullis.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads what one h2load run printed (its summary on stdout and its {@code --log-file}, one row per
 * request) and prints one {@code H2_RESULT key=value ...} line, the h2 counterpart of
 * {@code conf/wrk-report.lua}'s {@code WRK_RESULT}.
 *
 * <p>Latency percentiles come from the log file (every completed request, "microseconds until end of
 * response", the third column); h2load itself prints only min, max, mean and standard deviation.
 */
public final class H2loadResult {
    private static final Pattern FINISHED = Pattern.compile("finished in ([0-9.]+)(us|ms|s), ([0-9.]+) req/s");
    private static final Pattern REQUESTS = Pattern.compile(
            "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored");
    private static final Pattern STATUS = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");
    private static final Pattern TIME_FOR_REQUEST = Pattern.compile(
            "time for request:\\s+([0-9.]+(?:us|ms|s))\\s+([0-9.]+(?:us|ms|s))\\s+([0-9.]+(?:us|ms|s))\\s+([0-9.]+(?:us|ms|s))");

    private H2loadResult() {}

    public static void main(String[] argv) throws IOException {
        Args args = new Args(argv);
        Map<String, String> result = summary(Files.readString(Path.of(args.get("stdout"))));
        result.putAll(percentiles(Path.of(args.get("log"))));
        StringBuilder line = new StringBuilder("H2_RESULT");
        result.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
        System.out.println(line);
    }

    /**
     * The figures of h2load's summary: requests (done), succeeded, failed, errored, non2xx, rps,
     * duration_us, and the mean, sd, min and max time per request in microseconds.
     */
    static Map<String, String> summary(String stdout) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher finished = find(FINISHED, stdout, "finished in");
        out.put("duration_us", format(micros(finished.group(1) + finished.group(2))));
        out.put("rps", finished.group(3));
        Matcher requests = find(REQUESTS, stdout, "requests:");
        out.put("requests", requests.group(3));
        out.put("succeeded", requests.group(4));
        out.put("failed", requests.group(5));
        out.put("errored", requests.group(6));
        Matcher status = find(STATUS, stdout, "status codes:");
        long non2xx = Long.parseLong(status.group(2)) + Long.parseLong(status.group(3)) + Long.parseLong(status.group(4));
        out.put("non2xx", Long.toString(non2xx));
        Matcher time = find(TIME_FOR_REQUEST, stdout, "time for request:");
        out.put("min_us", format(micros(time.group(1))));
        out.put("max_us", format(micros(time.group(2))));
        out.put("mean_us", format(micros(time.group(3))));
        out.put("sd_us", format(micros(time.group(4))));
        return out;
    }

    /** p50, p90, p99 and p99.9 (nearest rank) of the third column of an h2load log file, in microseconds. */
    static Map<String, String> percentiles(Path log) throws IOException {
        long[] micros;
        try (Stream<String> lines = Files.lines(log)) {
            micros = lines.filter(line -> !line.isBlank()).mapToLong(line -> Long.parseLong(line.split("\t")[2].trim()))
                    .sorted().toArray();
        }
        Map<String, String> out = new LinkedHashMap<>();
        out.put("logged", Integer.toString(micros.length));
        if (micros.length == 0) {
            return out;
        }
        out.put("p50_us", Long.toString(rank(micros, 0.50)));
        out.put("p90_us", Long.toString(rank(micros, 0.90)));
        out.put("p99_us", Long.toString(rank(micros, 0.99)));
        out.put("p999_us", Long.toString(rank(micros, 0.999)));
        return out;
    }

    static long rank(long[] sorted, double quantile) {
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** h2load's durations: {@code 123us}, {@code 1.23ms}, {@code 10.00s}. */
    static double micros(String duration) {
        if (duration.endsWith("us")) {
            return Double.parseDouble(duration.substring(0, duration.length() - 2));
        }
        if (duration.endsWith("ms")) {
            return Double.parseDouble(duration.substring(0, duration.length() - 2)) * 1_000;
        }
        if (duration.endsWith("s")) {
            return Double.parseDouble(duration.substring(0, duration.length() - 1)) * 1_000_000;
        }
        throw new IllegalArgumentException("duration '" + duration + "' (expected: a number and us, ms or s)");
    }

    private static Matcher find(Pattern pattern, String text, String what) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            throw new IllegalArgumentException("h2load output: no '" + what + "' line (did h2load fail?)");
        }
        return matcher;
    }

    private static String format(double value) {
        return String.format(java.util.Locale.ROOT, "%.0f", value);
    }
}
