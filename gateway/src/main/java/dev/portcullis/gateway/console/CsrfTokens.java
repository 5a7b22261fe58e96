package dev.portcullis.gateway.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The console's synchronizer token: bound to the session by being derived from the session's
 * reference (the secret only the browser's HttpOnly cookie holds), so every gateway of the store
 * computes the same token without keeping one, and nobody without the cookie can compute it. The
 * store keeps only another hash of the reference (the session id), from which this one cannot be had.
 */
final class CsrfTokens {
    private static final byte[] LABEL = "portcullis console csrf v1\n".getBytes(StandardCharsets.UTF_8);

    private CsrfTokens() {}

    /** The token every form and script request of the session {@code reference} must carry. */
    static String of(String reference) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(LABEL);
            return Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(sha256.digest(reference.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Whether {@code presented} is the session's token; compared in constant time. */
    static boolean matches(String reference, String presented) {
        return presented != null && MessageDigest.isEqual(of(reference).getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.UTF_8));
    }
}
