package dev.portcullis.store.signin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.portcullis.store.ConflictException;
import dev.portcullis.store.KeyEvent;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.Versioned;
import dev.portcullis.store.WatchListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Browser sign-in state on a {@link KeyValueStore}: sessions, single-use tickets, logins in
 * progress and the one-time memory of exchanged URL tokens. Single use is the store's own
 * compare-and-swap (a ticket is taken by deleting it at the revision it was read at; a URL token is
 * remembered by creating its key when absent), so it holds across every gateway on the store and
 * across restarts. Secrets are never keys or values: keys are SHA-256 hashes of them.
 *
 * <p>The keys live under {@value #ROOT}, beside the control plane's {@code /portcullis/v1/}, not
 * under it: the replica every gateway keeps of routes and policies never reads them. Calls block:
 * never on an event loop.
 */
public final class SignInRecords {
    public static final String ROOT = "/portcullis/signin/v1/";
    static final String SESSIONS = ROOT + "sessions/";
    static final String TICKETS = ROOT + "tickets/";
    static final String LOGINS = ROOT + "logins/";
    static final String USED = ROOT + "used/";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    // The wire forms; instants as epoch milliseconds.
    record SessionJson(int version, String id, String issuer, String user, String email, String org,
                       List<String> groups, Map<String, List<String>> claims, long createdAt, long lastSeenAt,
                       long expiresAt, long idleTimeoutMillis, long tokenExpiresAt, String refreshToken,
                       String idToken) {}

    record TicketJson(int version, String id, String sessionRef, String host, String path, long expiresAt) {}

    record LoginJson(int version, String id, String browserId, String nonce, String codeVerifier, String returnTo,
                     long expiresAt) {}

    record UsedJson(int version, long expiresAt) {}

    private final KeyValueStore store;

    public SignInRecords(KeyValueStore store) {
        this.store = requireNonNull(store, "store");
    }

    /** The id a secret is stored under: its SHA-256, base64url without padding. */
    public static String idOf(String secret) {
        requireNonNull(secret, "secret");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    // ---- sessions

    /** Writes a new session. @throws ConflictException when one with the same id exists (a reference reused) */
    public long createSession(SessionRecord session) {
        return store.put(SESSIONS + session.id(), encode(session), KeyValueStore.ABSENT, 0);
    }

    /** The session with {@code id} when it exists and is live at {@code now}. */
    public Optional<Versioned<SessionRecord>> session(String id, Instant now) {
        return read(SESSIONS + requireNonNull(id, "id"), SessionJson.class)
                .map(json -> new Versioned<>(decode(json.value()), json.revision()))
                .filter(session -> session.value().isLiveAt(now));
    }

    /**
     * Replaces the session read at {@code revision}.
     *
     * @throws ConflictException when it changed or ended since: nothing is written
     */
    public long updateSession(SessionRecord session, long revision) {
        if (revision <= 0) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: the revision the session was read at)");
        }
        return store.put(SESSIONS + session.id(), encode(session), revision, 0);
    }

    /** Ends the session for every port host at once (their cookies only reference it). True when it existed. */
    public boolean endSession(String id) {
        String key = SESSIONS + requireNonNull(id, "id");
        Optional<Versioned<SessionJson>> current = read(key, SessionJson.class);
        if (current.isEmpty()) {
            return false;
        }
        try {
            store.delete(key, current.get().revision());
            return true;
        } catch (ConflictException e) {
            store.delete(key, KeyValueStore.ANY_REVISION); // renewed meanwhile: it ends all the same
            return true;
        }
    }

    /** Every session, live or not: for the renewal pass. */
    public List<Versioned<SessionRecord>> sessions() {
        return store.range(SESSIONS).entries().stream()
                .map(kv -> new Versioned<>(decode(parse(kv, SessionJson.class)), kv.modRevision()))
                .toList();
    }

    /**
     * Tells {@code ended} the id of every session deleted from now on, on the store's watch thread.
     * The watch ends on a disconnect or compaction; {@code lost} is then told, and the caller watches again.
     */
    public KeyValueStore.Watch watchSessionEnds(Consumer<String> ended, Consumer<Throwable> lost) {
        long from = store.range(SESSIONS).revision() + 1;
        return store.watch(SESSIONS, from, new WatchListener() {
            @Override
            public void onEvents(List<KeyEvent> events) {
                for (KeyEvent event : events) {
                    if (event.type() == KeyEvent.Type.DELETE) {
                        ended.accept(event.key().substring(SESSIONS.length()));
                    }
                }
            }

            @Override
            public void onCompacted(long compactedRevision) {
                lost.accept(new IllegalStateException("history compacted to revision " + compactedRevision));
            }

            @Override
            public void onDisconnected(Throwable cause) {
                lost.accept(cause);
            }
        });
    }

    // ---- tickets

    public void putTicket(TicketRecord ticket) {
        store.put(TICKETS + ticket.id(), encode(ticket), KeyValueStore.ABSENT, 0);
    }

    /**
     * Takes the ticket: the first caller anywhere gets it, every later one gets nothing. An expired
     * ticket is taken too (so it is gone) but not returned.
     */
    public Optional<TicketRecord> takeTicket(String id, Instant now) {
        return take(TICKETS + requireNonNull(id, "id"), TicketJson.class)
                .map(json -> new TicketRecord(json.id(), json.sessionRef(), json.host(), json.path(),
                        Instant.ofEpochMilli(json.expiresAt())))
                .filter(ticket -> now.isBefore(ticket.expiresAt()));
    }

    // ---- logins in progress

    public void putLogin(LoginRecord login) {
        store.put(LOGINS + login.id(), encode(login), KeyValueStore.ABSENT, 0);
    }

    /** Takes the login started with this state: once, and only before it expired. */
    public Optional<LoginRecord> takeLogin(String id, Instant now) {
        return take(LOGINS + requireNonNull(id, "id"), LoginJson.class)
                .map(json -> new LoginRecord(json.id(), json.browserId(), json.nonce(), json.codeVerifier(),
                        json.returnTo(), Instant.ofEpochMilli(json.expiresAt())))
                .filter(login -> now.isBefore(login.expiresAt()));
    }

    // ---- one-time URL tokens

    /**
     * Remembers that the one-time credential named {@code identity} (never its text: a re-encoding
     * of the same token must name the same identity) was used, until {@code expiresAt}.
     *
     * @return true the first time anywhere on this store, false on every later time
     */
    public boolean firstUse(String identity, Instant expiresAt) {
        try {
            store.put(USED + idOf(identity), encode(new UsedJson(1, expiresAt.toEpochMilli())), KeyValueStore.ABSENT, 0);
            return true;
        } catch (ConflictException e) {
            return false;
        }
    }

    // ---- housekeeping

    /** Deletes what expired before {@code now}: tickets, logins, used-token memories, ended sessions. @return how many */
    public int deleteExpired(Instant now) {
        int deleted = 0;
        for (KeyValue kv : store.range(ROOT).entries()) {
            Instant end;
            try {
                end = endOf(kv);
            } catch (IllegalStateException e) {
                end = Instant.EPOCH; // unreadable: nobody can use it
            }
            if (!now.isBefore(end)) {
                try {
                    store.delete(kv.key(), kv.modRevision());
                    deleted++;
                } catch (ConflictException e) {
                    // changed meanwhile (a session renewed): looked at again next time
                }
            }
        }
        return deleted;
    }

    private static Instant endOf(KeyValue kv) {
        if (kv.key().startsWith(SESSIONS)) {
            return decode(parse(kv, SessionJson.class)).forgettableAt();
        }
        if (kv.key().startsWith(TICKETS)) {
            return Instant.ofEpochMilli(parse(kv, TicketJson.class).expiresAt());
        }
        if (kv.key().startsWith(LOGINS)) {
            return Instant.ofEpochMilli(parse(kv, LoginJson.class).expiresAt());
        }
        if (kv.key().startsWith(USED)) {
            return Instant.ofEpochMilli(parse(kv, UsedJson.class).expiresAt());
        }
        return Instant.MAX;
    }

    // ---- plumbing

    private <T> Optional<Versioned<T>> read(String key, Class<T> type) {
        for (KeyValue kv : store.range(key).entries()) {
            if (kv.key().equals(key)) {
                return Optional.of(new Versioned<>(parse(kv, type), kv.modRevision()));
            }
        }
        return Optional.empty();
    }

    /** Reads and deletes the key at the revision read: only one caller can succeed. */
    private <T> Optional<T> take(String key, Class<T> type) {
        Optional<Versioned<T>> found = read(key, type);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        try {
            store.delete(key, found.get().revision());
            return Optional.of(found.get().value());
        } catch (ConflictException e) {
            return Optional.empty(); // someone else took it first
        }
    }

    private static <T> T parse(KeyValue kv, Class<T> type) {
        try {
            return JSON.readValue(kv.value(), type);
        } catch (IOException e) {
            throw new IllegalStateException(kv.key() + ": not a valid sign-in record: " + e.getMessage(), e);
        }
    }

    private static byte[] encode(Object record) {
        Object json = switch (record) {
            case SessionRecord s -> new SessionJson(1, s.id(), s.issuer(), s.user(), s.email(), s.org(), s.groups(),
                    s.claims(), s.createdAt().toEpochMilli(), s.lastSeenAt().toEpochMilli(), s.expiresAt().toEpochMilli(),
                    s.idleTimeout().toMillis(), s.tokenExpiresAt().toEpochMilli(), s.refreshToken(), s.idToken());
            case TicketRecord t -> new TicketJson(1, t.id(), t.sessionRef(), t.host(), t.path(), t.expiresAt().toEpochMilli());
            case LoginRecord l -> new LoginJson(1, l.id(), l.browserId(), l.nonce(), l.codeVerifier(), l.returnTo(),
                    l.expiresAt().toEpochMilli());
            default -> record;
        };
        try {
            return JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + record.getClass().getSimpleName(), e);
        }
    }

    private static SessionRecord decode(SessionJson json) {
        return new SessionRecord(json.id(), json.issuer(), json.user(), json.email(), json.org(),
                json.groups() == null ? List.of() : json.groups(), json.claims() == null ? Map.of() : json.claims(),
                Instant.ofEpochMilli(json.createdAt()), Instant.ofEpochMilli(json.lastSeenAt()),
                Instant.ofEpochMilli(json.expiresAt()), Duration.ofMillis(json.idleTimeoutMillis()),
                Instant.ofEpochMilli(json.tokenExpiresAt()), json.refreshToken(), json.idToken());
    }
}
