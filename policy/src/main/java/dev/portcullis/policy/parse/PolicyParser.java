package dev.portcullis.policy.parse;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import dev.portcullis.policy.OrgPolicy;

/**
 * Reads org policies and share files, YAML or JSON. Every call returns either a complete value or
 * every error found, each with file, line, column and field path.
 */
public final class PolicyParser {

    private final Clock clock;

    /** Expiry times are checked against the system clock. */
    public PolicyParser() {
        this(Clock.systemUTC());
    }

    /** Expiry times are checked against {@code clock}: an expiry in its past is an error. */
    public PolicyParser(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
    }

    public ParseResult<OrgPolicy> parsePolicy(Path file) {
        return read(file, this::parsePolicy);
    }

    /**
     * @param fileName how errors name the input
     */
    public ParseResult<OrgPolicy> parsePolicy(String fileName, String content) {
        final Problems problems = new Problems(requireNonNull(fileName, "fileName"));
        final Node root = NodeTrees.read(requireNonNull(content, "content"), problems);
        final OrgPolicy policy = root == null ? null : new OrgPolicyMapper(new Fields(problems)).map(root);
        return result(policy, problems);
    }

    public ParseResult<SharesFile> parseShares(Path file) {
        return read(file, this::parseShares);
    }

    public ParseResult<SharesFile> parseShares(String fileName, String content) {
        final Problems problems = new Problems(requireNonNull(fileName, "fileName"));
        final Node root = NodeTrees.read(requireNonNull(content, "content"), problems);
        final SharesFile shares = root == null ? null : new SharesMapper(new Fields(problems), clock).map(root);
        return result(shares, problems);
    }

    /**
     * Validates {@code content} as whatever its {@code kind} says it is, {@value OrgPolicy#KIND} or
     * {@value SharesFile#KIND}.
     *
     * @return every error, or an empty list when the file is valid
     */
    public List<PolicyError> validate(String fileName, String content) {
        final Problems problems = new Problems(requireNonNull(fileName, "fileName"));
        final Node root = NodeTrees.read(requireNonNull(content, "content"), problems);
        if (root == null) {
            return problems.sorted();
        }
        if (SharesFile.KIND.equals(Headers.kindOf(root))) {
            return parseShares(fileName, content).errors();
        }
        return parsePolicy(fileName, content).errors();
    }

    public List<PolicyError> validate(Path file) {
        final String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of(new PolicyError(file.toString(), 1, 1, "", "cannot read: " + e));
        }
        return validate(file.toString(), content);
    }

    private static <T> ParseResult<T> result(T value, Problems problems) {
        if (value == null || !problems.isEmpty()) {
            return new ParseResult.Failure<>(problems.sorted());
        }
        return new ParseResult.Success<>(value);
    }

    private interface ContentParser<T> {
        ParseResult<T> parse(String fileName, String content);
    }

    private static <T> ParseResult<T> read(Path file, ContentParser<T> parser) {
        requireNonNull(file, "file");
        final String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new ParseResult.Failure<>(List.of(new PolicyError(file.toString(), 1, 1, "", "cannot read: " + e)));
        }
        return parser.parse(file.toString(), content);
    }
}
