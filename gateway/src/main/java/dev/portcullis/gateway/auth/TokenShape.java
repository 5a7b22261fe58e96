package dev.portcullis.gateway.auth;

/**
 * Cheap checks of the raw token before any parser sees it: size, three segments, base64url alphabet.
 * They keep oversized or odd input away from the JSON and crypto code.
 */
final class TokenShape {
    /** Tokens above this are refused unread. */
    static final int MAX_TOKEN_CHARS = 8 * 1024;

    private TokenShape() {}

    /** Returns the two dot positions of a well-formed compact JWS, or throws. */
    static int[] check(String token) throws TokenRejectedException {
        if (token == null || token.isEmpty()) {
            throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED, "The token is empty.");
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new TokenRejectedException(RejectionReason.TOKEN_TOO_LARGE,
                    "The token has " + token.length() + " characters (expected: at most " + MAX_TOKEN_CHARS + ").");
        }
        int dots = 0;
        int first = -1;
        int second = -1;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                dots++;
                if (dots == 1) {
                    first = i;
                } else if (dots == 2) {
                    second = i;
                }
            } else if (!isBase64Url(c)) {
                throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED,
                        "The token has a character outside base64url at position " + i
                                + " (expected: A-Z a-z 0-9 - _ and two dots, no padding).");
            }
        }
        if (dots != 2) {
            String hint = dots == 4 ? " An encrypted token (JWE) is not accepted." : "";
            throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED,
                    "The token has " + (dots + 1) + " segments (expected: 3, header.payload.signature)." + hint);
        }
        // The signature may be empty here so that alg "none" is reported as such; it fails later anyway.
        if (first == 0 || second == first + 1) {
            throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED,
                    "The token has an empty header or payload segment.");
        }
        return new int[] {first, second};
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
}
