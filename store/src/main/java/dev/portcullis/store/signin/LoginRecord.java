package dev.portcullis.store.signin;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A login in progress at the identity provider, from the login host's redirect to its callback,
 * keyed by the hash of the OAuth {@code state} ({@link #id()}).
 *
 * @param id           the SHA-256 of {@code state}, base64url
 * @param browserId    the SHA-256 of the random value in the login host's cookie: the callback must come
 *                     from the browser that started the login (no login CSRF through a stolen callback URL)
 * @param nonce        the OIDC nonce the ID token must carry
 * @param codeVerifier the PKCE code verifier
 * @param returnTo     the port-host URL the person wanted, already checked
 * @param expiresAt    when the login is abandoned
 */
public record LoginRecord(String id, String browserId, String nonce, String codeVerifier, String returnTo,
                          Instant expiresAt) {
    public LoginRecord {
        requireNonNull(id, "id");
        requireNonNull(browserId, "browserId");
        requireNonNull(nonce, "nonce");
        requireNonNull(codeVerifier, "codeVerifier");
        requireNonNull(returnTo, "returnTo");
        requireNonNull(expiresAt, "expiresAt");
    }
}
