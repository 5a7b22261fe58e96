package dev.portcullis.config;

import static java.util.Objects.requireNonNull;

/**
 * One mistake in a config file: the key it is about ({@code tls.certificates[0].privateKey}; {@code ""}
 * when it is about the whole file), what is wrong and what was expected, and where (1-based; line 0
 * when the file could not be read at all, column 0 when only the line is known).
 */
public record ConfigProblem(String keyPath, String message, int line, int column) {
    public ConfigProblem {
        requireNonNull(keyPath, "keyPath");
        requireNonNull(message, "message");
        if (line < 0 || column < 0) {
            throw new IllegalArgumentException("line " + line + ", column " + column + " (expected: >= 0)");
        }
    }

    /**
     * {@code file:line: key: message}, the form compilers write and editors and CI logs jump to. The
     * column is left out of the text (it is in {@link #column()}): every message of both loaders has
     * had this form since the first release, and scripts match it.
     */
    public String describe(String file) {
        return file + (line > 0 ? ":" + line : "") + ": " + (keyPath.isEmpty() ? "" : keyPath + ": ") + message;
    }
}
