package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.auth.MutableClock;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.store.embedded.EmbeddedStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sessions' lifetimes: idle timeout, absolute end, and an open tunnel counted as use. */
class SessionsTest {
    private static final VerifiedIdentity ALICE = new VerifiedIdentity("https://idp.example", "alice",
            Optional.empty(), Optional.of("acme"), List.of("dev"), Map.of("team", "core"), Instant.MAX);

    @Test
    void aSessionIdlesOutUnlessAnOpenTunnelCountsAsUse() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T08:00:00Z"));
        try (Sessions sessions = new Sessions(EmbeddedStore.inMemory(), true, clock)) {
            String idle = sessions.create(ALICE, Duration.ofMinutes(10), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();
            String tunnel = sessions.create(ALICE, Duration.ofMinutes(10), clock.instant().plus(Duration.ofHours(8)),
                    clock.instant().plusSeconds(300), null, null).get();

            for (int minute = 0; minute < 15; minute++) {
                clock.advance(Duration.ofMinutes(1));
                sessions.noteUse(Set.of(Sessions.idOf(tunnel)));
            }

            assertThat(sessions.lookup(idle).get()).isEmpty();
            assertThat(sessions.lookup(tunnel).get()).hasValueSatisfying(session -> {
                assertThat(session.user()).isEqualTo("alice");
                assertThat(Sessions.identityOf(session).otherClaims()).containsEntry("team", List.of("core"));
            });
        }
    }

    @Test
    void aSessionEndsAtItsAbsoluteEndWhateverTheUse() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T08:00:00Z"));
        try (Sessions sessions = new Sessions(EmbeddedStore.inMemory(), true, clock)) {
            String reference = sessions.create(ALICE, Duration.ofHours(1), clock.instant().plus(Duration.ofMinutes(30)),
                    clock.instant().plusSeconds(300), null, null).get();
            clock.advance(Duration.ofMinutes(29));
            assertThat(sessions.lookup(reference).get()).isPresent();

            clock.advance(Duration.ofMinutes(1));

            assertThat(sessions.lookup(reference).get()).isEmpty();
        }
    }
}
