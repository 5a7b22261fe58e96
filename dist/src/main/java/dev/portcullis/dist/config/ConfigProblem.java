package dev.portcullis.dist.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One problem in a config file: where ({@code line} 0 when the loader could not say, e.g. a missing
 * key) and which key ({@code ""} when the problem is not about one key).
 */
public record ConfigProblem(Path file, int line, String key, String message) {
    /** A key path as the loaders write it: {@code tls.certificates[0].privateKey}. */
    private static final Pattern KEY = Pattern.compile("([A-Za-z][A-Za-z0-9_-]*(?:\\[\\d*])?(?:\\.[A-Za-z][A-Za-z0-9_-]*(?:\\[\\d*])?)*): (.*)",
            Pattern.DOTALL);
    private static final Pattern LINE = Pattern.compile(":(\\d+)(?::\\d+)?: (.*)", Pattern.DOTALL);

    public ConfigProblem {
        requireNonNull(file, "file");
        requireNonNull(key, "key");
        requireNonNull(message, "message");
    }

    /**
     * Reads a loader's error, {@code <file>[:line[:column]]: [key: ]message}. The gateway's and the
     * agent's loaders both write this form (until the config kit gives typed problems, issue 16
     * item 2); the file name is known, so only what follows it is parsed.
     */
    static ConfigProblem fromLoaderMessage(Path file, String error) {
        String rest = error.startsWith(file.toString()) ? error.substring(file.toString().length()) : ": " + error;
        int line = 0;
        Matcher located = LINE.matcher(rest);
        if (located.matches()) {
            line = Integer.parseInt(located.group(1));
            rest = located.group(2);
        } else if (rest.startsWith(": ")) {
            rest = rest.substring(2);
        }
        Matcher keyed = KEY.matcher(rest);
        if (keyed.matches()) {
            return new ConfigProblem(file, line, keyed.group(1), keyed.group(2));
        }
        return new ConfigProblem(file, line, "", rest);
    }

    /** {@code file:line: key: message}, the form editors and CI logs link to. */
    @Override
    public String toString() {
        return file + (line > 0 ? ":" + line : "") + ": " + (key.isEmpty() ? "" : key + ": ") + message;
    }
}
