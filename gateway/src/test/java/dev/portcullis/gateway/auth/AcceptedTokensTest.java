package dev.portcullis.gateway.auth;

import static dev.portcullis.gateway.auth.TestTokens.AUDIENCE;
import static dev.portcullis.gateway.auth.TestTokens.ISSUER;
import static dev.portcullis.gateway.auth.TestTokens.NOW;
import static dev.portcullis.gateway.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AcceptedTokensTest {
    // Generated once: RSA key generation dominates the run time otherwise.
    private static final RSAKey rsa = TestTokens.rsaKey("rsa-1");
    private static final ECKey ec = TestTokens.ecKey("ec-1");
    private static final TestTokens.Ed25519Pair ed = TestTokens.ed25519Key("ed-1");
    private final IdentityVerifier verifier = IdentityVerifier.create(
            IdentityVerifierConfig.builder()
                    .issuer(TestTokens.staticIssuer(TestTokens.keySet(rsa, ec, ed.publicJwk()),
                            JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.EdDSA).orgs("acme").build())
                    .issuer(IssuerConfig.builder("https://custom.example.com", AUDIENCE).orgs("tenant-7")
                            .staticKeys(TestTokens.keySet(rsa)).algorithms(JWSAlgorithm.RS256)
                            .expectedType("at+jwt")
                            .userClaim("preferred_username").orgClaim("tid").groupsClaim("roles")
                            .build())
                    .build(),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() {
        verifier.close();
    }

    @Test
    void acceptsRs256AndMapsDefaultClaims() throws TokenRejectedException {
        VerifiedIdentity identity = verifier.verify(TestTokens.rs256(rsa, claims().claim("team", "core").build()));

        assertThat(identity.issuer()).isEqualTo(ISSUER);
        assertThat(identity.user()).isEqualTo("alice");
        assertThat(identity.email()).contains("alice@example.com");
        assertThat(identity.org()).contains("acme");
        assertThat(identity.groups()).containsExactly("dev", "ops");
        assertThat(identity.otherClaims()).containsEntry("team", "core").doesNotContainKeys("sub", "iss", "exp");
        assertThat(identity.expiresAt()).isEqualTo(NOW.plusSeconds(600));
    }

    @Test
    void otherClaimsAreImmutableAndCarryTimesAsInstants() throws TokenRejectedException {
        VerifiedIdentity identity = verifier.verify(TestTokens.rs256(rsa,
                claims().claim("profile", java.util.Map.of("team", "core")).build()));

        assertThat(identity.otherClaims().get("iat")).isEqualTo(NOW);
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> profile = (java.util.Map<String, Object>) identity.otherClaims().get("profile");
        assertThatThrownBy(() -> profile.put("team", "evil")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void acceptsEs256() throws TokenRejectedException {
        assertThat(verifier.verify(TestTokens.es256(ec, claims().build())).user()).isEqualTo("alice");
    }

    @Test
    void acceptsEdDsaVerifiedWithTheJdkEd25519() throws TokenRejectedException {
        assertThat(verifier.verify(TestTokens.eddsa(ed, claims().build())).user()).isEqualTo("alice");
    }

    @Test
    void refusesEdDsaTokenWithAFlippedSignatureBit() {
        String token = TestTokens.eddsa(ed, claims().build());
        char last = token.charAt(token.length() - 2);
        String forged = token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);
        assertThatThrownBy(() -> verifier.verify(forged))
                .isInstanceOfSatisfying(TokenRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectionReason.BAD_SIGNATURE));
    }

    @Test
    void acceptsNotBeforeWithinClockSkew() throws TokenRejectedException {
        String token = TestTokens.rs256(rsa, claims().notBeforeTime(Date.from(NOW.plusSeconds(20)))
                .issueTime(Date.from(NOW.plusSeconds(20))).build());
        assertThat(verifier.verify(token).user()).isEqualTo("alice");
    }

    @Test
    void acceptsAudienceListContainingOurs() throws TokenRejectedException {
        String token = TestTokens.rs256(rsa, claims().audience(List.of("other", AUDIENCE)).build());
        assertThat(verifier.verify(token).user()).isEqualTo("alice");
    }

    @Test
    void usesTheIssuersClaimNamesAndAcceptsItsTypWithApplicationPrefix() throws TokenRejectedException {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
                .type(new JOSEObjectType("application/AT+JWT")).build();
        String token = TestTokens.sign(header, claims().issuer("https://custom.example.com")
                .claim("preferred_username", "bob").claim("tid", "tenant-7").claim("roles", List.of("admin")).build(),
                TestTokens.rsaSigner(rsa));

        VerifiedIdentity identity = verifier.verify(token);

        assertThat(identity.user()).isEqualTo("bob");
        assertThat(identity.org()).contains("tenant-7");
        assertThat(identity.groups()).containsExactly("admin");
        assertThat(identity.otherClaims()).containsKeys("sub", "org", "groups");
    }

    @Test
    void optionalClaimsMayBeAbsent() throws TokenRejectedException {
        VerifiedIdentity identity = verifier.verify(TestTokens.rs256(rsa,
                claims().claim("email", null).claim("org", null).claim("groups", null).build()));

        assertThat(identity.email()).isEqualTo(Optional.empty());
        assertThat(identity.org()).isEmpty();
        assertThat(identity.groups()).isEmpty();
    }

    @Test
    void verifyAsyncCompletesAtOnceForStaticKeyIssuers() {
        CompletableFuture<VerifiedIdentity> future = verifier.verifyAsync(TestTokens.rs256(rsa, claims().build()));

        assertThat(future).isCompleted();
        assertThat(future.join().user()).isEqualTo("alice");
    }
}
