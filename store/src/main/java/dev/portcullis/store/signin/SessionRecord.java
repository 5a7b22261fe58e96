package dev.portcullis.store.signin;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A browser sign-in, as every gateway sees it. The browser holds only an opaque reference; the
 * store keys the session by that reference's hash ({@link #id()}), so reading the store does not
 * give anyone a working cookie.
 *
 * @param id             the SHA-256 of the browser's reference, base64url
 * @param issuer         the identity provider's issuer
 * @param user           the mapped user claim
 * @param email          the mapped email claim, or null
 * @param org            the mapped org claim, or null
 * @param groups         the mapped groups
 * @param claims         other string claims policy rules may match on
 * @param createdAt      when the person signed in
 * @param lastSeenAt     when a request last used it (coarse: written at most every few minutes)
 * @param expiresAt      the absolute end: no renewal moves it
 * @param idleTimeout    how long it lives without requests
 * @param tokenExpiresAt when the provider's current access token ends; renewed before that while the session lives
 * @param refreshToken   the provider's refresh token, sealed by the gateway (never in the clear), or null
 * @param idToken        the provider's ID token, sealed, for its logout endpoint, or null
 */
public record SessionRecord(String id, String issuer, String user, String email, String org, List<String> groups,
                            Map<String, List<String>> claims, Instant createdAt, Instant lastSeenAt, Instant expiresAt,
                            Duration idleTimeout, Instant tokenExpiresAt, String refreshToken, String idToken) {
    public SessionRecord {
        requireNonNull(id, "id");
        requireNonNull(issuer, "issuer");
        requireNonNull(user, "user");
        groups = List.copyOf(requireNonNull(groups, "groups"));
        claims = Map.copyOf(requireNonNull(claims, "claims"));
        requireNonNull(createdAt, "createdAt");
        requireNonNull(lastSeenAt, "lastSeenAt");
        requireNonNull(expiresAt, "expiresAt");
        requireNonNull(idleTimeout, "idleTimeout");
        requireNonNull(tokenExpiresAt, "tokenExpiresAt");
    }

    /** Whether the session still serves at {@code now}: before its absolute end and not idle for too long. */
    public boolean isLiveAt(Instant now) {
        return now.isBefore(expiresAt) && now.isBefore(lastSeenAt.plus(idleTimeout));
    }

    /** The instant after which the store may forget it. */
    public Instant forgettableAt() {
        Instant idleEnd = lastSeenAt.plus(idleTimeout);
        return idleEnd.isBefore(expiresAt) ? idleEnd : expiresAt;
    }

    public SessionRecord seenAt(Instant now) {
        return new SessionRecord(id, issuer, user, email, org, groups, claims, createdAt, now, expiresAt, idleTimeout,
                tokenExpiresAt, refreshToken, idToken);
    }

    /** The same session with the provider's renewed tokens. */
    public SessionRecord renewed(Instant newTokenExpiresAt, String newRefreshToken, String newIdToken) {
        return new SessionRecord(id, issuer, user, email, org, groups, claims, createdAt, lastSeenAt, expiresAt,
                idleTimeout, newTokenExpiresAt, newRefreshToken, newIdToken);
    }
}
