package dev.portcullis.cli.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.portcullis.agent.config.AgentConfigLoader;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigProblem;
import dev.portcullis.gateway.config.GatewayConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Validates a gateway or an agent config file without starting anything, and finds every problem
 * it can, not only the first.
 *
 * <p>The check reads the file with the real loader (no second set of rules to drift from it). A
 * loader reports every binding problem at once (unknown keys, bad values), but a check across keys
 * needs the keys it compares, so it reports only the first refusal. So after each read the check
 * takes out what the problems are about — their lines and the blocks under them, replaced by empty
 * lines so every other line keeps its number — and reads again, until the file loads or a problem
 * has no line to take out (a missing key: what the loader checks after it may depend on it). A key
 * that was taken out is then "missing": that follow-up is not reported, and the enclosing block is
 * taken out instead.
 */
public final class ConfigCheck {
    /** Enough for any real file; a guard against a loader that keeps reporting new problems. */
    private static final int MAX_PROBLEMS = 100;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** Which loader reads the file. */
    public enum Kind {
        GATEWAY, AGENT;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the check found: the kind it read the file as, and the problems (empty: valid). */
    public record Result(Path file, Kind kind, List<ConfigProblem> problems) {
        public Result {
            requireNonNull(file, "file");
            requireNonNull(kind, "kind");
            problems = List.copyOf(problems);
        }

        public boolean valid() {
            return problems.isEmpty();
        }

        /** Each problem as {@code file:line: key: message}. */
        public List<String> lines() {
            return problems.stream().map(problem -> problem.describe(file.toString())).toList();
        }
    }

    /** Thrown when the file cannot be read at all, or its kind cannot be told. */
    public static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    private ConfigCheck() {}

    /**
     * Checks {@code file} as {@code kind}, or as the kind its keys say when {@code kind} is empty.
     */
    public static Result check(Path file, Optional<Kind> kind) throws Unreadable {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new Unreadable(file + ": cannot read: " + e.getMessage());
        }
        Kind chosen = kind.isPresent() ? kind.get() : detect(file, text);
        return new Result(file, chosen, problems(file, text, chosen));
    }

    /** A gateway config has {@code listen} or {@code baseDomains}; an agent's {@code stateDir} or {@code addressRange}. */
    static Kind detect(Path file, String text) throws Unreadable {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (IOException e) {
            root = null; // the loader reports the syntax error with its line; the kind then comes from the name
        }
        if (root != null && root.isObject()) {
            if (root.has("listen") || root.has("baseDomains")) {
                return Kind.GATEWAY;
            }
            if (root.has("stateDir") || root.has("addressRange") || root.has("namespacePrefix")) {
                return Kind.AGENT;
            }
        }
        String name = file.getFileName().toString();
        if (name.startsWith("gateway")) {
            return Kind.GATEWAY;
        }
        if (name.startsWith("agent")) {
            return Kind.AGENT;
        }
        throw new Unreadable(file + ": cannot tell a gateway config from an agent config (expected: a gateway's listen"
                + " or baseDomains, an agent's stateDir or addressRange, a file named gateway*.yaml or agent*.yaml;"
                + " or --kind gateway|agent)");
    }

    private static List<ConfigProblem> problems(Path file, String text, Kind kind) {
        List<ConfigProblem> problems = new ArrayList<>();
        Set<ConfigProblem> seen = new HashSet<>();
        Map<String, Integer> takenOut = new HashMap<>(); // key path without indexes -> the line it was on
        Set<String> escalated = new HashSet<>();
        ConfigText lines = new ConfigText(text);
        boolean more = true;
        while (more && problems.size() < MAX_PROBLEMS) {
            if (!problems.isEmpty() && lines.isEmpty()) {
                break; // everything was taken out: "the file is empty" would be a follow-up, not a problem
            }
            more = false;
            for (ConfigProblem problem : loadProblems(file, lines.text(), kind)) {
                if (!seen.add(problem)) {
                    continue; // reported in an earlier read
                }
                Optional<Map.Entry<String, Integer>> missing = followUpOf(problem, takenOut);
                if (missing.isPresent()) {
                    // The loader misses what an earlier problem took out: take out the block around it instead,
                    // once; if that leaves a required section missing, what comes next depends on it.
                    int enclosing = lines.enclosingLine(missing.get().getValue());
                    if (enclosing == 0 || !escalated.add(missing.get().getKey())) {
                        more = false;
                        break;
                    }
                    lines.takeOut(enclosing);
                    more = true;
                    continue;
                }
                problems.add(problem);
                // A required key that is missing has no line of its own to take out (the loader names the line
                // of the map it belongs in), and what the loader checks next depends on it.
                if (problem.message().startsWith("missing") || problem.line() <= 0) {
                    more = false;
                    break;
                }
                lines.takeOut(problem.line()); // false when an earlier problem's block held it: gone already
                if (!problem.keyPath().isEmpty()) {
                    takenOut.put(withoutIndexes(problem.keyPath()), problem.line());
                }
                more = true;
            }
        }
        return problems;
    }

    /** The line of what an earlier problem took out, when {@code problem} only says that it is missing now. */
    private static Optional<Map.Entry<String, Integer>> followUpOf(ConfigProblem problem, Map<String, Integer> takenOut) {
        if (!problem.message().startsWith("missing")) {
            return Optional.empty();
        }
        String key = withoutIndexes(problem.keyPath());
        return takenOut.entrySet().stream().filter(out -> out.getKey().equals(key) || out.getKey().startsWith(key + "."))
                .findFirst();
    }

    private static String withoutIndexes(String key) {
        return key.replaceAll("\\[\\d*]", "");
    }

    /** The loader's problems for {@code text} read as {@code file}; empty when it loads. */
    private static List<ConfigProblem> loadProblems(Path file, String text, Kind kind) {
        try {
            switch (kind) {
                case GATEWAY -> GatewayConfigFile.load(file, text);
                case AGENT -> AgentConfigLoader.parse(file.toString(), text);
            }
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        } catch (RuntimeException e) {
            // A loader should never throw this; if it does, it is still a problem of this file, said as one.
            return List.of(new ConfigProblem("", e.toString(), 1, 0));
        }
    }
}
