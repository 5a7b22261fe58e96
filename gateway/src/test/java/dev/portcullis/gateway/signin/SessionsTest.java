package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.Curve;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.auth.MutableClock;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.store.KeyEvent;
import dev.portcullis.store.KeyRange;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.WatchListener;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.signin.SignInRecords;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Sessions' lifetimes: idle timeout, absolute end, an open tunnel counted as use, and an end missed
 * while the store's watch was broken.
 */
class SessionsTest {
    private static final IdentityVerifier ISSUERS = IdentityVerifier.create(IdentityVerifierConfig.builder()
            .issuer(issuer("https://idp.example").alias("idp").orgs("acme").build()).build());
    private static final VerifiedIdentity ALICE = restore(ISSUERS, "https://idp.example");

    static IssuerConfig.Builder issuer(String url) {
        try {
            return IssuerConfig.builder(url, "portcullis").algorithms(JWSAlgorithm.ES256)
                    .staticKeys(new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k").generate().toPublicJWK()));
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static VerifiedIdentity restore(IdentityVerifier issuers, String issuer) {
        try {
            return issuers.restore(issuer, "alice", Optional.empty(), Optional.of("acme"), List.of("dev"),
                    Map.of("team", "core"), Instant.MAX);
        } catch (dev.portcullis.gateway.auth.TokenRejectedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSessionIdlesOutUnlessAnOpenTunnelCountsAsUse() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T08:00:00Z"));
        EmbeddedStore store = EmbeddedStore.inMemory();
        SignInRecords records = new SignInRecords(store);
        try (Sessions sessions = new Sessions(store, true, clock, ISSUERS)) {
            String idle = sessions.create(ALICE, Duration.ofMinutes(10), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();
            String tunnel = sessions.create(ALICE, Duration.ofMinutes(10), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();

            for (int minute = 0; minute < 15; minute++) {
                clock.advance(Duration.ofMinutes(1));
                sessions.noteUse(Set.of(Sessions.idOf(tunnel)));
                // The use is written to the store in the background, within milliseconds, while a
                // real tunnel notes use once a minute: the simulated minute must not pass before it.
                Instant noted = clock.instant();
                await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(10))
                        .until(() -> records.session(Sessions.idOf(tunnel), noted)
                        .map(session -> session.value().lastSeenAt().equals(noted)).orElse(false));
            }

            assertThat(sessions.lookup(idle).get()).isEmpty();
            assertThat(sessions.lookup(tunnel).get()).hasValueSatisfying(session -> {
                assertThat(session.user()).isEqualTo("alice");
                assertThat(sessions.identityOf(session).otherClaims()).containsEntry("team", List.of("core"));
            });
        }
    }

    @Test
    void aSessionEndsAtItsAbsoluteEndWhateverTheUse() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T08:00:00Z"));
        try (Sessions sessions = new Sessions(EmbeddedStore.inMemory(), true, clock, ISSUERS)) {
            String reference = sessions.create(ALICE, Duration.ofHours(1), clock.instant().plus(Duration.ofMinutes(30)),
                    clock.instant().plusSeconds(300), null, null).get();
            clock.advance(Duration.ofMinutes(29));
            assertThat(sessions.lookup(reference).get()).isPresent();

            clock.advance(Duration.ofMinutes(1));

            assertThat(sessions.lookup(reference).get()).isEmpty();
        }
    }

    @Test
    void aSessionThatEndedWhileTheWatchWasBrokenIsRefusedAtOnceAndItsTunnelsEndWhenTheWatchIsBack() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        EmbeddedStore shared = EmbeddedStore.inMemory();
        BreakableWatches watched = new BreakableWatches(shared);
        try (Sessions here = new Sessions(watched, false, clock, ISSUERS);
             Sessions elsewhere = new Sessions(shared, false, clock, ISSUERS)) {
            String reference = here.create(ALICE, Duration.ofHours(1), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();
            String id = Sessions.idOf(reference);
            Set<String> heardEnded = ConcurrentHashMap.newKeySet();
            here.onSessionEnded(heardEnded::add);
            here.keepAliveWhileInUse(() -> Set.of(id)); // a tunnel of it is open on this gateway
            assertThat(here.lookup(reference).get()).as("cached here").isPresent();

            watched.silence(); // the connection to the store is gone: the end below never reaches this gateway's watch
            elsewhere.end(id).get();
            assertThat(here.lookup(reference).get()).as("still cached: the gap this test is about").isPresent();

            watched.reportDisconnect(); // the watch notices, as etcd's client does
            assertThat(here.lookup(reference).get()).as("refused at once: nothing served from memory").isEmpty();
            await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
                    assertThat(heardEnded).as("the tunnels of the session close once the watch is back").contains(id));
        } finally {
            shared.close();
        }
    }

    @Test
    void aSessionIsRestoredWithItsIssuersAliasScopeAndAdminRuleFromTheConfiguration() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T08:00:00Z"));
        try (Sessions sessions = new Sessions(EmbeddedStore.inMemory(), true, clock, ISSUERS)) {
            String reference = sessions.create(ALICE, Duration.ofHours(1), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();

            VerifiedIdentity restored = sessions.identityOf(sessions.lookup(reference).get().orElseThrow());

            assertThat(restored.qualifiedUser()).isEqualTo("alice@idp");
            assertThat(restored.issuer()).isEqualTo("https://idp.example");
            assertThat(restored.scope().speaksFor("acme")).isTrue();
            assertThat(restored.scope().speaksFor("globex")).isFalse();
            assertThat(restored.adminIssuer()).isTrue(); // the only issuer: may carry the admin claim by default
        }
    }

    /** The store outlives a configuration: a session of an issuer no longer trusted, or no longer bound to its org, is not honoured. */
    @Test
    void aSessionWhoseIssuerIsNoLongerTrustedOrBoundToItsOrgIsNotHonoured() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T08:00:00Z"));
        EmbeddedStore store = EmbeddedStore.inMemory();
        String reference;
        try (Sessions before = new Sessions(store, false, clock, ISSUERS)) {
            reference = before.create(ALICE, Duration.ofHours(1), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();
        }
        IdentityVerifier otherIssuer = IdentityVerifier.create(IdentityVerifierConfig.builder()
                .issuer(issuer("https://other.example").build()).build());
        IdentityVerifier unbound = IdentityVerifier.create(IdentityVerifierConfig.builder()
                .issuer(issuer("https://idp.example").alias("idp").orgs("globex").build()).build());
        try (Sessions untrusted = new Sessions(store, false, clock, otherIssuer);
             Sessions notBound = new Sessions(store, true, clock, unbound)) {
            assertThat(untrusted.lookup(reference).get()).isEmpty();
            assertThat(notBound.lookup(reference).get()).isEmpty();
        }
    }

    /** The store, with watches the test can cut: deliveries stop, and later the watch reports the loss. */
    private static final class BreakableWatches implements KeyValueStore {
        private final KeyValueStore store;
        private final List<WatchListener> listeners = new CopyOnWriteArrayList<>();
        private volatile boolean silenced;

        BreakableWatches(KeyValueStore store) {
            this.store = store;
        }

        void silence() {
            silenced = true;
        }

        void reportDisconnect() {
            List<WatchListener> cut = List.copyOf(listeners);
            listeners.clear();
            silenced = false; // watches made from now on deliver again
            cut.forEach(listener -> listener.onDisconnected(new IOException("connection to the store lost (test)")));
        }

        @Override
        public Watch watch(String prefix, long fromRevision, WatchListener listener) {
            WatchListener gated = new WatchListener() {
                @Override
                public void onEvents(List<KeyEvent> events) {
                    if (!silenced && listeners.contains(this)) {
                        listener.onEvents(events);
                    }
                }

                @Override
                public void onCompacted(long compactedRevision) {
                    listener.onCompacted(compactedRevision);
                }

                @Override
                public void onDisconnected(Throwable cause) {
                    listener.onDisconnected(cause);
                }
            };
            listeners.add(gated);
            Watch inner = store.watch(prefix, fromRevision, gated);
            return () -> {
                listeners.remove(gated);
                inner.close();
            };
        }

        @Override
        public KeyRange range(String prefix) {
            return store.range(prefix);
        }

        @Override
        public long put(String key, byte[] value, long expectedRevision, long leaseId) {
            return store.put(key, value, expectedRevision, leaseId);
        }

        @Override
        public long delete(String key, long expectedRevision) {
            return store.delete(key, expectedRevision);
        }

        @Override
        public long grantLease(Duration ttl) {
            return store.grantLease(ttl);
        }

        @Override
        public void keepAlive(long leaseId) {
            store.keepAlive(leaseId);
        }

        @Override
        public void revokeLease(long leaseId) {
            store.revokeLease(leaseId);
        }

        @Override
        public void compact(long revision) {
            store.compact(revision);
        }

        @Override
        public void close() {}
    }
}
