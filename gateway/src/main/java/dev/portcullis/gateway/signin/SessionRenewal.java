package dev.portcullis.gateway.signin;

import dev.portcullis.store.Versioned;
import dev.portcullis.store.signin.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps signed-in sessions' provider tokens fresh without the person doing anything: shortly before
 * a session's access token ends, its refresh token (kept sealed in the store) is traded for new
 * tokens. A provider that refuses the refresh (the user was removed or blocked, the grant revoked)
 * ends the session, and with it every open tunnel that runs under it, on every gateway.
 *
 * <p>Every gateway runs this pass; one renews each session: it first claims the renewal by a
 * compare-and-swap write that moves the session's token expiry a little ahead, so the other gateways
 * do not see it as due (a refresh token used twice is, with rotating refresh tokens, a revoked grant).
 */
final class SessionRenewal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionRenewal.class);
    static final Duration PASS = Duration.ofSeconds(5);
    /** A token is renewed when it has less than this left. */
    static final Duration RENEW_BEFORE = Duration.ofSeconds(30);
    /** How long one gateway's claim on a renewal holds before another may try. */
    private static final Duration CLAIM = Duration.ofMinutes(1);
    /** A provider out of reach does not end a session at once; after this past the token's end it does. */
    private static final Duration OUTAGE_GRACE = Duration.ofMinutes(5);

    private final Sessions sessions;
    private final OidcRelyingParty provider;
    private final SignInSecrets secrets;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "portcullis-signin-renewal");
        thread.setDaemon(true);
        return thread;
    });

    SessionRenewal(Sessions sessions, OidcRelyingParty provider, SignInSecrets secrets) {
        this.sessions = sessions;
        this.provider = provider;
        this.secrets = secrets;
        timer.scheduleWithFixedDelay(this::pass, PASS.toMillis(), PASS.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void pass() {
        try {
            Instant now = sessions.clock().instant();
            for (Versioned<SessionRecord> session : sessions.all().join()) {
                SessionRecord record = session.value();
                if (record.refreshToken() != null && record.isLiveAt(now)
                    && Duration.between(now, record.tokenExpiresAt()).compareTo(RENEW_BEFORE) < 0) {
                    renew(record, session.revision(), now);
                }
            }
        } catch (RuntimeException e) {
            log.warn("sign-in: session renewal pass failed", e);
        }
    }

    private void renew(SessionRecord record, long revision, Instant now) {
        Optional<String> refreshToken = secrets.unseal(record.refreshToken());
        if (refreshToken.isEmpty()) {
            log.warn("sign-in: session of {} has a refresh token sealed with another key (give every gateway the same"
                    + " signin.keyFile); it is not renewed", record.user());
            return;
        }
        SessionRecord claimed = record.renewed(now.plus(CLAIM), record.refreshToken(), record.idToken());
        if (!sessions.update(claimed, revision).join()) {
            return; // another gateway renews it, or it ended
        }
        try {
            OidcRelyingParty.Tokens tokens = provider.refresh(refreshToken.get()).join();
            sessions.all().join().stream()
                    .filter(current -> current.value().id().equals(record.id()))
                    .findFirst()
                    .ifPresent(current -> sessions.update(current.value().renewed(tokens.tokenExpiresAt(),
                            secrets.seal(tokens.refreshToken()),
                            tokens.idToken() != null ? secrets.seal(tokens.idToken()) : current.value().idToken()),
                            current.revision()).join());
            log.info("sign-in: renewed the session of {} until {}", record.user(), tokens.tokenExpiresAt());
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            boolean refused = cause instanceof OidcRelyingParty.SignInFailedException failed
                              && failed.code().equals("refresh-refused");
            if (refused || now.isAfter(record.tokenExpiresAt().plus(OUTAGE_GRACE))) {
                log.info("sign-in: ending the session of {}: {}", record.user(), cause.getMessage());
                sessions.end(record.id()).join();
            } else {
                log.warn("sign-in: could not renew the session of {} ({}); trying again", record.user(), cause.getMessage());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
