package dev.portcullis.gateway.auth;

import static dev.portcullis.gateway.auth.TestTokens.NOW;
import static dev.portcullis.gateway.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import java.time.Duration;
import java.util.Date;
import org.junit.jupiter.api.Test;

class VerifiedTokenCacheTest {
    private final RSAKey rsa = TestTokens.rsaKey("rsa-1");
    private final MutableClock clock = new MutableClock(NOW);
    private final CountingVerifierFactory counting = new CountingVerifierFactory();

    private IdentityVerifier verifier(Duration cacheMaxTtl) {
        return new IdentityVerifier(IdentityVerifierConfig.builder()
                .issuer(TestTokens.staticIssuer(TestTokens.keySet(rsa), JWSAlgorithm.RS256).build())
                .cacheMaxTtl(cacheMaxTtl)
                .build(), clock, counting);
    }

    @Test
    void secondVerifyOfSameTokenSkipsTheSignatureCheck() throws TokenRejectedException {
        try (IdentityVerifier verifier = verifier(Duration.ofMinutes(5))) {
            String token = TestTokens.rs256(rsa, claims().build());

            VerifiedIdentity first = verifier.verify(token);
            VerifiedIdentity second = verifier.verify(token);

            assertThat(second).isEqualTo(first);
            assertThat(counting.verifications).hasValue(1);
        }
    }

    @Test
    void cachedTokenPastItsExpIsRejectedAsExpired() throws TokenRejectedException {
        try (IdentityVerifier verifier = verifier(Duration.ofMinutes(5))) {
            String token = TestTokens.rs256(rsa, claims().expirationTime(Date.from(NOW.plusSeconds(60))).build());
            verifier.verify(token);

            clock.advance(Duration.ofSeconds(60));

            assertThatThrownBy(() -> verifier.verify(token))
                    .isInstanceOfSatisfying(TokenRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(RejectionReason.EXPIRED));
            assertThat(verifier.verifyAsync(token)).isCompletedExceptionally();
            assertThat(counting.verifications).hasValue(1);
        }
    }

    @Test
    void zeroCacheTtlVerifiesEveryTime() throws TokenRejectedException {
        try (IdentityVerifier verifier = verifier(Duration.ZERO)) {
            String token = TestTokens.rs256(rsa, claims().build());

            verifier.verify(token);
            verifier.verify(token);

            assertThat(counting.verifications).hasValue(2);
        }
    }

    @Test
    void rejectedTokensAreNotCached() {
        try (IdentityVerifier verifier = verifier(Duration.ofMinutes(5))) {
            String token = TestTokens.rs256(rsa, claims().audience("elsewhere").build());

            assertThat(verifier.verifyAsync(token)).isCompletedExceptionally();
            assertThat(verifier.verifyAsync(token)).isCompletedExceptionally();

            assertThat(counting.verifications).hasValue(2);
        }
    }

    @Test
    void cacheKeyIsAHashNotTheToken() {
        String token = TestTokens.rs256(rsa, claims().build());
        assertThat(VerifiedTokenCache.key(token)).hasSize(64).doesNotContain(token.substring(0, 10));
    }
}
