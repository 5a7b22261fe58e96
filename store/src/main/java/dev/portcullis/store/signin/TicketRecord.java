package dev.portcullis.store.signin;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A single-use ticket that carries a fresh sign-in from the login host to one port host. The
 * browser holds the ticket; the store keys it by the ticket's hash ({@link #id()}).
 *
 * @param id        the SHA-256 of the ticket, base64url
 * @param sessionRef the reference of the session it opens on the port host, sealed by the gateway (the store never holds it in the clear)
 * @param host      the only port host that may take it
 * @param path      where the browser goes on that host after the exchange: path and query, starting with one '/'
 * @param expiresAt at most a minute after it was made
 */
public record TicketRecord(String id, String sessionRef, String host, String path, Instant expiresAt) {
    public TicketRecord {
        requireNonNull(id, "id");
        requireNonNull(sessionRef, "sessionRef");
        requireNonNull(host, "host");
        requireNonNull(path, "path");
        requireNonNull(expiresAt, "expiresAt");
    }
}
