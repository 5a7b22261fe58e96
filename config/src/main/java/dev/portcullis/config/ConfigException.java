package dev.portcullis.config;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A config file that cannot be used, with every problem found in it. The message is the problems,
 * one {@code file:line: key: message} per line, so a log or a terminal shows all of them.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final List<ConfigProblem> problems;

    public ConfigException(String file, List<ConfigProblem> problems) {
        this(file, problems, null);
    }

    public ConfigException(String file, List<ConfigProblem> problems, Throwable cause) {
        super(describe(file, problems), cause);
        this.file = file;
        this.problems = List.copyOf(problems);
        if (this.problems.isEmpty()) {
            throw new IllegalArgumentException("problems: empty (expected: at least one problem)");
        }
    }

    /** A problem with the file as a whole, such as "no such file". */
    public static ConfigException ofFile(String file, String message, Throwable cause) {
        return new ConfigException(file, List.of(new ConfigProblem("", message, 0, 0)), cause);
    }

    /** The file as the loader was given it. */
    public String file() {
        return file;
    }

    /** Every problem found, in the order of the file as far as binding goes, then the checks across keys. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String describe(String file, List<ConfigProblem> problems) {
        requireNonNull(file, "file");
        return problems.stream().map(problem -> problem.describe(file)).collect(Collectors.joining("\n"));
    }
}
