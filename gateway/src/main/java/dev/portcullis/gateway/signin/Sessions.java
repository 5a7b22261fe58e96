package dev.portcullis.gateway.signin;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.store.ConflictException;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.Versioned;
import dev.portcullis.store.signin.LoginRecord;
import dev.portcullis.store.signin.SessionRecord;
import dev.portcullis.store.signin.SignInRecords;
import dev.portcullis.store.signin.TicketRecord;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Browser sessions, tickets, logins in progress and one-time URL tokens, kept in the store so every
 * gateway honours them and a restart loses none. Every store call runs on this class's own threads
 * ({@code portcullis-signin-N}), never on an event loop. A cookie's session is looked up in a
 * short-lived local cache first, so a signed-in browser's requests do not each ask the store; a
 * session that ends anywhere is dropped from every gateway's cache by the store's watch, and the
 * listeners hear of it (open tunnels are closed with it).
 *
 * <p>The watch can break (a disconnect, a compaction), and what ended meanwhile is not replayed. So
 * a broken watch empties the cache at once (every lookup asks the store until it is back), and once
 * it is back the sessions of open tunnels are read again: those that ended in the gap end here too.
 * As a last bound, cached sessions are read again after {@link #CACHE_TTL}, and the sessions of open
 * tunnels every minute (the use pass).
 */
public final class Sessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The longest a cached session is served without asking the store again, watch or no watch. */
    public static final Duration CACHE_TTL = Duration.ofSeconds(10);
    private static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);
    /** A ticket carries a sign-in from the login host to a port host: a browser needs well under a second. */
    public static final Duration TICKET_LIFETIME = Duration.ofSeconds(60);

    private final SignInRecords records;
    private final KeyValueStore ownedStore;
    private final Clock clock;
    private final IdentityVerifier identities;
    private final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final Cache<String, SessionRecord> cache = Caffeine.newBuilder()
            .maximumSize(100_000).expireAfterWrite(CACHE_TTL).build();
    private final List<Consumer<String>> endListeners = new CopyOnWriteArrayList<>();
    private volatile Supplier<Set<String>> inUse = Set::of;
    private volatile KeyValueStore.Watch watch;
    private volatile boolean closed;

    /**
     * @param store      where the records live (the gateway's store, or one of the sign-in's own)
     * @param ownsStore  whether closing this closes {@code store} too
     * @param identities the gateway's issuers, through which a session's caller is restored
     */
    public Sessions(KeyValueStore store, boolean ownsStore, Clock clock, IdentityVerifier identities) {
        this.records = new SignInRecords(requireNonNull(store, "store"));
        this.ownedStore = ownsStore ? store : null;
        this.clock = requireNonNull(clock, "clock");
        this.identities = requireNonNull(identities, "identities");
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "portcullis-signin-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "portcullis-signin-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::sweep, SWEEP_INTERVAL.toMillis(), SWEEP_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        watchEnds();
    }

    /**
     * Counts an open tunnel as use: every minute the sessions that {@code inUse} names (those with
     * open connections on this gateway) are noted as seen, so a session whose only activity is a
     * long-lived WebSocket (an IDE) does not reach its idle timeout while the tunnel is open.
     */
    public void keepAliveWhileInUse(Supplier<Set<String>> inUse) {
        this.inUse = requireNonNull(inUse, "inUse");
        timer.scheduleWithFixedDelay(() -> noteUse(inUse.get()), SWEEP_INTERVAL.toMillis(), SWEEP_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Notes the sessions {@code ids} as used now (in the store, when due); one that is no longer in the
     * store ended without this gateway hearing of it, and ends here now. Runs on the calling thread.
     */
    void noteUse(Set<String> ids) {
        Instant now = clock.instant();
        for (String id : ids) {
            try {
                Optional<Versioned<SessionRecord>> session = records.session(id, now);
                if (session.isPresent()) {
                    touchIfDue(session.get().value(), now);
                } else {
                    ended(id);
                }
            } catch (RuntimeException e) {
                log.debug("could not note an open tunnel's session as used", e);
            }
        }
    }

    /** The threads that talk to the store and to the identity provider. */
    public ExecutorService executor() {
        return executor;
    }

    public Clock clock() {
        return clock;
    }

    /** {@code listener} hears the id of every session that ends, on any gateway of the store. */
    public void onSessionEnded(Consumer<String> listener) {
        endListeners.add(requireNonNull(listener, "listener"));
    }

    /** A new random secret: 256 bits, base64url. */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The session id of a browser's reference (what grants and the store know it by). */
    public static String idOf(String reference) {
        return SignInRecords.idOf(reference);
    }

    /**
     * The live session the browser's {@code reference} names, from the cache or the store; none when
     * its caller cannot be restored under today's issuers ({@link #identityOf}), so the browser signs in again.
     */
    public CompletableFuture<Optional<SessionRecord>> lookup(String reference) {
        String id = idOf(reference);
        Instant now = clock.instant();
        SessionRecord cached = cache.getIfPresent(id);
        if (cached != null && cached.isLiveAt(now)) {
            touchIfDue(cached, now);
            return CompletableFuture.completedFuture(Optional.of(cached).filter(this::restorable));
        }
        return CompletableFuture.supplyAsync(() -> {
            Optional<Versioned<SessionRecord>> found = records.session(id, clock.instant());
            found.ifPresent(session -> cache.put(id, session.value()));
            found.ifPresent(session -> touchIfDue(session.value(), clock.instant()));
            return found.map(Versioned::value).filter(this::restorable);
        }, executor);
    }

    /**
     * Creates a session for {@code identity} and returns the browser's reference to it.
     *
     * @param tokenExpiresAt when the provider's access token ends (renewed before then when there is a refresh token)
     */
    public CompletableFuture<String> create(VerifiedIdentity identity, Duration idleTimeout, Instant expiresAt,
                                            Instant tokenExpiresAt, String sealedRefreshToken, String sealedIdToken) {
        String reference = newSecret();
        Instant now = clock.instant();
        SessionRecord session = new SessionRecord(idOf(reference), identity.issuer(), identity.user(),
                identity.email().orElse(null), identity.org().orElse(null), identity.groups(),
                stringClaims(identity.otherClaims()), now, now, expiresAt, idleTimeout, tokenExpiresAt,
                sealedRefreshToken, sealedIdToken);
        return CompletableFuture.supplyAsync(() -> {
            records.createSession(session);
            cache.put(session.id(), session);
            return reference;
        }, executor);
    }

    /** Ends the session everywhere: every port host's cookie referencing it stops working at once. */
    public CompletableFuture<Boolean> end(String sessionId) {
        return CompletableFuture.supplyAsync(() -> {
            cache.invalidate(sessionId);
            return records.endSession(sessionId);
        }, executor);
    }

    /**
     * Ends every session of {@code user} of {@code org} (a person removed from the org): on every
     * gateway of the store at once, their open tunnels closed with a close frame, as one logout would.
     *
     * @return how many sessions ended
     */
    public CompletableFuture<Integer> endAllOf(String org, String user) {
        requireNonNull(org, "org");
        requireNonNull(user, "user");
        return CompletableFuture.supplyAsync(() -> {
            int ended = 0;
            for (Versioned<SessionRecord> session : records.sessions()) {
                if (org.equals(session.value().org()) && user.equals(session.value().user())) {
                    cache.invalidate(session.value().id());
                    if (records.endSession(session.value().id())) {
                        ended++;
                    }
                }
            }
            return ended;
        }, executor);
    }

    /** The session's record with renewed tokens, written only when nobody changed it since {@code revision}. */
    public CompletableFuture<Boolean> update(SessionRecord session, long revision) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                records.updateSession(session, revision);
                cache.put(session.id(), session);
                return true;
            } catch (ConflictException e) {
                return false;
            }
        }, executor);
    }

    /** Every session in the store with its revision (for renewal). */
    public CompletableFuture<List<Versioned<SessionRecord>>> all() {
        return CompletableFuture.supplyAsync(records::sessions, executor);
    }

    /** A single-use ticket for {@code host} that opens {@code sealedReference}'s session there. */
    public CompletableFuture<String> issueTicket(String sealedReference, String host, String path) {
        String ticket = newSecret();
        TicketRecord record = new TicketRecord(SignInRecords.idOf(ticket), sealedReference, host, path,
                clock.instant().plus(TICKET_LIFETIME));
        return CompletableFuture.supplyAsync(() -> {
            records.putTicket(record);
            return ticket;
        }, executor);
    }

    /** The ticket, once, anywhere in the fleet, and only before it expired. */
    public CompletableFuture<Optional<TicketRecord>> takeTicket(String ticket) {
        return CompletableFuture.supplyAsync(() -> records.takeTicket(SignInRecords.idOf(ticket), clock.instant()), executor);
    }

    public CompletableFuture<Void> putLogin(LoginRecord login) {
        return CompletableFuture.runAsync(() -> records.putLogin(login), executor);
    }

    /** The login that {@code state} started, once, before it expired. */
    public CompletableFuture<Optional<LoginRecord>> takeLogin(String state) {
        return CompletableFuture.supplyAsync(() -> records.takeLogin(SignInRecords.idOf(state), clock.instant()), executor);
    }

    /** True the first time anywhere that the one-time credential {@code identityKey} is used. */
    public CompletableFuture<Boolean> firstUse(String identityKey, Instant expiresAt) {
        return CompletableFuture.supplyAsync(() -> records.firstUse(identityKey, expiresAt), executor);
    }

    /**
     * The caller a session stands for, as the policy sees callers; good until the session's absolute
     * end. It goes through the gateway's issuer entries as a token does ({@link IdentityVerifier#restore}):
     * the issuer's alias, the orgs it is bound to and whether it may carry the admin claim come from
     * today's configuration, never from the record.
     *
     * @throws IllegalStateException when the session's issuer is no longer trusted or no longer bound
     *         to its org ({@link #lookup} never returns such a session)
     */
    public VerifiedIdentity identityOf(SessionRecord session) {
        try {
            return restore(session);
        } catch (TokenRejectedException e) {
            throw new IllegalStateException("session " + session.id() + ": " + e.getMessage(), e);
        }
    }

    private VerifiedIdentity restore(SessionRecord session) throws TokenRejectedException {
        return identities.restore(session.issuer(), session.user(), Optional.ofNullable(session.email()),
                Optional.ofNullable(session.org()), session.groups(), new HashMap<>(session.claims()), session.expiresAt());
    }

    private boolean restorable(SessionRecord session) {
        try {
            restore(session);
            return true;
        } catch (TokenRejectedException e) {
            log.info("sign-in: session of {} from {} is not honoured: {}", session.user(), session.issuer(), e.getMessage());
            return false;
        }
    }

    /** Idle time is counted from the last request, written back at most every few minutes per session. */
    private void touchIfDue(SessionRecord session, Instant now) {
        Duration every = session.idleTimeout().dividedBy(10);
        if (every.compareTo(Duration.ofMinutes(5)) > 0) {
            every = Duration.ofMinutes(5);
        }
        if (Duration.between(session.lastSeenAt(), now).compareTo(every) < 0) {
            return;
        }
        SessionRecord seen = session.seenAt(now);
        cache.put(session.id(), seen); // no second write from this gateway meanwhile
        executor.execute(() -> {
            try {
                records.session(session.id(), now).ifPresent(current -> {
                    try {
                        records.updateSession(current.value().seenAt(now), current.revision());
                    } catch (ConflictException e) {
                        // renewed or touched meanwhile: that write counts as seen too
                    }
                });
            } catch (RuntimeException e) {
                log.debug("could not note a session's use", e);
            }
        });
    }

    private static Map<String, List<String>> stringClaims(Map<String, Object> claims) {
        Map<String, List<String>> kept = new HashMap<>();
        claims.forEach((name, value) -> {
            if (value instanceof String text) {
                kept.put(name, List.of(text));
            } else if (value instanceof Boolean flag) { // an admin claim is a boolean; kept as the console reads it
                kept.put(name, List.of(flag.toString()));
            } else if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                List<String> texts = new ArrayList<>();
                list.forEach(item -> texts.add((String) item));
                kept.put(name, texts);
            }
        });
        return kept;
    }

    private void watchEnds() {
        watchEnds(false);
    }

    /** @param afterAGap the previous watch broke: ends it may have missed are looked for once this one runs */
    private void watchEnds(boolean afterAGap) {
        if (closed) {
            return;
        }
        try {
            watch = records.watchSessionEnds(this::ended, lost -> {
                if (!closed) {
                    // Ends from now until the next watch runs are not replayed: serve nothing from memory meanwhile.
                    cache.invalidateAll();
                    log.warn("sign-in: the watch on sessions ended ({}); watching again", lost.toString());
                    timer.schedule(() -> watchEnds(true), 1, TimeUnit.SECONDS);
                }
            });
        } catch (RuntimeException e) {
            cache.invalidateAll();
            log.warn("sign-in: cannot watch sessions ({}); trying again", e.toString());
            timer.schedule(() -> watchEnds(true), 1, TimeUnit.SECONDS);
            return;
        }
        if (afterAGap) {
            cache.invalidateAll(); // what was cached during the gap may have ended in it
            executor.execute(() -> noteUse(inUse.get()));
        }
    }

    private void ended(String sessionId) {
        cache.invalidate(sessionId);
        for (Consumer<String> listener : endListeners) {
            try {
                listener.accept(sessionId);
            } catch (RuntimeException e) {
                log.error("a session-end listener failed", e);
            }
        }
    }

    /** Forgets expired tickets, logins and one-time memories, and ends sessions past their end or idle. */
    private void sweep() {
        try {
            records.deleteExpired(clock.instant());
        } catch (RuntimeException e) {
            log.debug("sign-in sweep failed", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        KeyValueStore.Watch current = watch;
        if (current != null) {
            current.close();
        }
        timer.shutdownNow();
        executor.shutdownNow();
        if (ownedStore != null) {
            ownedStore.close();
        }
    }
}
