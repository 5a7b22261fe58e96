package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.Curve;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
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
        try (Sessions sessions = new Sessions(EmbeddedStore.inMemory(), true, clock, ISSUERS)) {
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
}
