package dev.portcullis.gateway.auth;

/** Reads the token of an {@code Authorization: Bearer <token>} header (RFC 6750 §2.1). */
public final class BearerTokens {
    private BearerTokens() {}

    /** The token, or null when the header is absent or not a bearer credential. */
    public static String from(String authorization) {
        if (authorization == null || authorization.length() <= 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }
}
