package dev.portcullis.policy;

/**
 * Path prefix matching for rules. Paths are matched in their {@link RequestPaths normal form}, and
 * so must the prefixes be. Deny rules match more widely than allow rules, so that each fails
 * closed against the servers that read paths loosely: a deny prefix ignores ASCII case (Express,
 * ASP.NET and IIS route {@code /ADMIN} to {@code /admin}) and also covers a {@code .suffix} after
 * it (Rails, and Spring before 5.3, route {@code /admin.json} to {@code /admin}); an allow prefix
 * matches exactly, so {@code /METRICS} is not let in by an allow rule on {@code /metrics}.
 */
public final class PathPrefixes {

    private PathPrefixes() {}

    /** Why {@code prefix} cannot be a rule's path prefix, or {@code null} when it can. */
    public static String problemWith(String prefix) {
        if (!RequestPaths.isNormal(prefix)) {
            return "path prefix: \"" + prefix + "\" (expected: the normal form of a path: starts with '/', no '//',"
                   + " no '.' or '..' segments, no ';', no segment ending in '.', no percent-encoded letters, digits,"
                   + " separators or dots, upper-case hex in other escapes)";
        }
        return null;
    }

    /**
     * Whether an allow rule's {@code prefix} matches the normalised {@code path}: exactly, on a
     * segment boundary. {@code /admin} matches {@code /admin} and {@code /admin/users} but not
     * {@code /administrator}; a prefix ending in '/' matches everything below it.
     */
    public static boolean matches(String prefix, String path) {
        return path.startsWith(prefix) && endsOnBoundary(prefix, path, false);
    }

    /**
     * Whether a deny rule's {@code prefix} covers the normalised {@code path}: ignoring ASCII case,
     * on a segment boundary or before a {@code .suffix}. {@code /admin} covers {@code /ADMIN},
     * {@code /Admin/users} and {@code /admin.json}, not {@code /administrator}.
     */
    public static boolean covers(String prefix, String path) {
        return path.regionMatches(true, 0, prefix, 0, prefix.length()) && endsOnBoundary(prefix, path, true);
    }

    private static boolean endsOnBoundary(String prefix, String path, boolean suffixToo) {
        if (path.length() == prefix.length() || prefix.charAt(prefix.length() - 1) == '/') {
            return true;
        }
        final char next = path.charAt(prefix.length());
        return next == '/' || suffixToo && next == '.';
    }
}
