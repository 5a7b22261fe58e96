package dev.portcullis.gateway.auth;

/**
 * Reads the token of an {@code Authorization: Bearer <token>} header (RFC 6750 §2.1). The token is
 * the value after {@code Bearer } (any case) without the spaces around it; {@link #tokenStart} and
 * {@link #tokenEnd} say where it is in the value, so that a warm connection can compare it in place
 * instead of copying it out ({@code access/ConnectionAccess}).
 */
public final class BearerTokens {
    private static final String SCHEME = "bearer ";

    private BearerTokens() {}

    /** The token, or null when the header is absent or not a bearer credential. */
    public static String from(String authorization) {
        int start = tokenStart(authorization);
        return start < 0 ? null : authorization.substring(start, tokenEnd(authorization));
    }

    /**
     * Where the token starts in {@code authorization}, or -1 when the value is absent, not a bearer
     * credential, or has an empty token.
     */
    public static int tokenStart(CharSequence authorization) {
        if (authorization == null || authorization.length() <= SCHEME.length() || !isBearer(authorization)) {
            return -1;
        }
        int start = SCHEME.length();
        int end = tokenEnd(authorization);
        while (start < end && authorization.charAt(start) <= ' ') {
            start++;
        }
        return start < end ? start : -1;
    }

    /** Where the token of a bearer credential ends in {@code authorization} (trailing spaces left out). */
    public static int tokenEnd(CharSequence authorization) {
        int end = authorization.length();
        while (end > SCHEME.length() && authorization.charAt(end - 1) <= ' ') {
            end--;
        }
        return end;
    }

    /**
     * Whether the value starts with {@code Bearer } in any case; ASCII case folding is exact here, as
     * no other character folds to a letter of "bearer" (String.regionMatches(true, ...) agrees).
     */
    private static boolean isBearer(CharSequence authorization) {
        for (int i = 0; i < SCHEME.length(); i++) {
            char c = authorization.charAt(i);
            if ((c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c) != SCHEME.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
