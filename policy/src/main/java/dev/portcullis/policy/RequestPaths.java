package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

/**
 * The one normal form of a request path on ports with path rules: the form the policy decides on
 * and the gateway forwards, so the workspace's server sees exactly the path that was decided. Forms
 * that servers read in different ways are refused instead of guessed at; docs/policy.md lists each
 * one with the servers whose parsers motivated it.
 *
 * <p>Normalising: percent-encoded unreserved characters ({@code A-Z a-z 0-9 - _ ~}) are decoded,
 * other percent-encodings get upper-case hex, repeated slashes become one, and {@code .} and
 * {@code ..} segments are removed as RFC 3986 section 5.2.4 says. Hand-written, not
 * {@link java.net.URI#normalize()}: that one keeps {@code //}, leaves {@code ..} above the root and
 * decodes nothing, and no library refuses the ambiguous forms below.
 */
public final class RequestPaths {

    /** What became of a raw path: the path to decide on and forward, or why it was refused. */
    public sealed interface Outcome permits Decided, Refused {}

    /** The path to decide on and forward; the raw path itself when nothing had to change. */
    public record Decided(String path) implements Outcome {
        public Decided {
            requireNonNull(path, "path");
        }
    }

    /** The raw path has a form that servers read in different ways; {@code reason} says which. */
    public record Refused(String reason) implements Outcome {
        public Refused {
            requireNonNull(reason, "reason");
        }
    }

    private RequestPaths() {}

    /** Whether {@code path} is already in the normal form (normalising it would change nothing). */
    public static boolean isNormal(String path) {
        return normalize(path) instanceof Decided decided && decided.path().equals(path);
    }

    /**
     * The normal form of {@code rawPath} (the request target's path, without the query), or why it
     * is refused.
     */
    public static Outcome normalize(String rawPath) {
        requireNonNull(rawPath, "rawPath");
        if (rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return new Refused("the path does not start with '/'");
        }
        // Decode and check every character first, then resolve segments on the decoded text: after
        // this loop no '%2F', '%2E' or '%5C' is left that could become a separator or a dot later.
        final StringBuilder decoded = new StringBuilder(rawPath.length());
        for (int i = 0; i < rawPath.length(); i++) {
            final char c = rawPath.charAt(i);
            if (c == '%') {
                if (i + 2 >= rawPath.length()) {
                    return new Refused("a '%' not followed by two hex digits");
                }
                final int hi = Character.digit(rawPath.charAt(i + 1), 16);
                final int lo = Character.digit(rawPath.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return new Refused("a '%' not followed by two hex digits");
                }
                final char value = (char) (hi * 16 + lo);
                final String problem = encodedProblem(value);
                if (problem != null) {
                    return new Refused(problem);
                }
                if (isUnreservedNotDot(value)) {
                    decoded.append(value);
                } else {
                    decoded.append('%').append(Character.toUpperCase(rawPath.charAt(i + 1)))
                           .append(Character.toUpperCase(rawPath.charAt(i + 2)));
                }
                i += 2;
                continue;
            }
            final String problem = rawProblem(c);
            if (problem != null) {
                return new Refused(problem);
            }
            decoded.append(c);
        }
        return resolveSegments(decoded.toString());
    }

    private static Outcome resolveSegments(String path) {
        final String[] segments = path.split("/", -1);
        final StringBuilder out = new StringBuilder(path.length());
        // segments[0] is the empty text before the leading '/'.
        for (int i = 1; i < segments.length; i++) {
            final String segment = segments[i];
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                out.setLength(Math.max(out.lastIndexOf("/"), 0));
                continue;
            }
            final String problem = trailingProblem(segment);
            if (problem != null) {
                return new Refused(problem);
            }
            out.append('/').append(segment);
        }
        final String last = segments[segments.length - 1];
        // '/a/b/', '/a/b/.' and '/a/b/c/..' all name the directory '/a/b/' (RFC 3986 keeps the slash).
        if (out.isEmpty() || last.isEmpty() || last.equals(".") || last.equals("..")) {
            out.append('/');
        }
        return new Decided(out.toString());
    }

    /** Why a segment's last character makes it alias another path on some server, or null. */
    private static String trailingProblem(String segment) {
        if (segment.endsWith(".")) {
            return "a segment ending in '.' (IIS and Windows drop trailing dots, so '/admin.' is '/admin' there)";
        }
        if (segment.endsWith("%20")) {
            return "a segment ending in an encoded space (IIS and Windows drop trailing spaces, so '/admin%20' is"
                   + " '/admin' there)";
        }
        return null;
    }

    private static String rawProblem(char c) {
        if (c == ';') {
            return "a ';' (servlet containers such as Tomcat and Jetty read '/admin;x' as '/admin' and '..;' as '..')";
        }
        if (c == '\\') {
            return "a backslash (IIS and some Node servers read '\\' as '/')";
        }
        if (c == '#') {
            return "a '#' (a fragment never belongs in a request target)";
        }
        if (c <= 0x20 || c >= 0x7f) {
            return "a control character, space or non-ASCII character (0x" + Integer.toHexString(c)
                   + "; encode it as UTF-8 percent-escapes)";
        }
        return null;
    }

    private static String encodedProblem(char value) {
        return switch (value) {
            case '/' -> "an encoded '/' (%2F: some servers decode it into a separator)";
            case '\\' -> "an encoded backslash (%5C: IIS and some Node servers decode it into a separator)";
            case '.' -> "an encoded '.' (%2E: some servers decode it into a dot segment)";
            case '%' -> "an encoded '%' (%25: a server that decodes twice sees another path)";
            case ';' -> "an encoded ';' (%3B: some servers decode it before reading path parameters)";
            default -> value < 0x20 || value == 0x7f
                       ? "an encoded control character (%" + String.format("%02X", (int) value) + ")" : null;
        };
    }

    private static boolean isUnreservedNotDot(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
               || c == '~';
    }
}
