package dev.portcullis.policy;

/**
 * Path prefix matching for rules, and the normal form a path must have before prefixes are
 * trusted. Without that form, {@code /public/../admin}, {@code //admin} or {@code /%61dmin} would
 * slip past a deny rule on {@code /admin} and still reach {@code /admin} in the workspace.
 */
public final class PathPrefixes {

    private PathPrefixes() {}

    /** Why {@code prefix} cannot be a rule's path prefix, or {@code null} when it can. */
    public static String problemWith(String prefix) {
        if (!isNormalized(prefix)) {
            return "path prefix: \"" + prefix + "\" (expected: starts with '/', no '//', no '.' or '..'"
                   + " segments, no percent-encoded letters, digits or separators)";
        }
        return null;
    }

    /**
     * Whether {@code path} (the request path without the query) starts with {@code prefix} on a
     * segment boundary: {@code /admin} matches {@code /admin} and {@code /admin/users} but not
     * {@code /administrator}; a prefix ending in '/' matches everything below it.
     */
    public static boolean matches(String prefix, String path) {
        if (!path.startsWith(prefix)) {
            return false;
        }
        return path.length() == prefix.length()
               || prefix.charAt(prefix.length() - 1) == '/'
               || path.charAt(prefix.length()) == '/';
    }

    /**
     * Whether {@code path} starts with '/' and has no empty segment (except a trailing '/'), no
     * '.' or '..' segment, no backslash and no percent-encoding of an unreserved character, '/' or
     * '\'. Such paths can mean different things to the gateway and to the workspace's server.
     */
    public static boolean isNormalized(String path) {
        final int length = path.length();
        if (length == 0 || path.charAt(0) != '/') {
            return false;
        }
        int segmentStart = 1;
        int dots = 0;
        boolean onlyDots = true;
        for (int i = 1; i <= length; i++) {
            final char c = i < length ? path.charAt(i) : '/';
            if (c == '/') {
                final boolean empty = i == segmentStart;
                if (empty && i < length) {
                    return false;
                }
                if (!empty && onlyDots && dots <= 2) {
                    return false;
                }
                segmentStart = i + 1;
                dots = 0;
                onlyDots = true;
            } else if (c == '\\') {
                return false;
            } else if (c == '%') {
                if (i + 2 >= length) {
                    return false;
                }
                final int hi = Character.digit(path.charAt(i + 1), 16);
                final int lo = Character.digit(path.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return false;
                }
                final char decoded = (char) (hi * 16 + lo);
                if (isUnreserved(decoded) || decoded == '/' || decoded == '\\') {
                    return false;
                }
                onlyDots = false;
                i += 2;
            } else if (c == '.') {
                dots++;
            } else {
                onlyDots = false;
            }
        }
        return true;
    }

    private static boolean isUnreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
               || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
