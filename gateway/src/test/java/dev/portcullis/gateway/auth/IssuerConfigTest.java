package dev.portcullis.gateway.auth;

import static dev.portcullis.gateway.auth.TestTokens.AUDIENCE;
import static dev.portcullis.gateway.auth.TestTokens.ISSUER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class IssuerConfigTest {
    private static final RSAKey RSA = TestTokens.rsaKey("rsa-1");

    @Test
    void defaultsClaimNamesAndHasNoExpectedType() {
        IssuerConfig config = TestTokens.staticIssuer(TestTokens.keySet(RSA), JWSAlgorithm.RS256).build();

        assertThat(config.claims()).isEqualTo(new ClaimNames("sub", "email", "org", "groups"));
        assertThat(config.expectedType()).isEmpty();
        assertThat(config.fetchesKeys()).isFalse();
    }

    @Test
    void staticKeysKeepOnlyPublicParts() {
        IssuerConfig config = IssuerConfig.builder(ISSUER, AUDIENCE)
                .staticKeys(new JWKSet(RSA)).algorithms(JWSAlgorithm.RS256).build();

        assertThat(((IssuerKeys.Static) config.keys()).keys().getKeys()).allMatch(k -> !k.isPrivate());
    }

    @Test
    void refusesHmacAlgorithms() {
        assertThatThrownBy(() -> TestTokens.staticIssuer(TestTokens.keySet(RSA), JWSAlgorithm.HS256).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HS256").hasMessageContaining("expected");
    }

    @Test
    void refusesSharedSecretAsStaticKey() {
        OctetSequenceKey secret = new OctetSequenceKey.Builder(Base64URL.encode(new byte[32])).keyID("s").build();
        assertThatThrownBy(() -> IssuerConfig.builder(ISSUER, AUDIENCE).staticKeys(new JWKSet(secret)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shared secrets are not accepted");
    }

    @Test
    void refusesPlainHttpJwksUrlToAnotherHost() {
        assertThatThrownBy(() -> IssuerConfig.builder(ISSUER, AUDIENCE).jwks(URI.create("http://idp.example.com/jwks")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://idp.example.com/jwks");
    }

    @Test
    void refusesBothJwksUrlAndStaticKeys() {
        assertThatThrownBy(() -> IssuerConfig.builder(ISSUER, AUDIENCE)
                .jwks(URI.create("https://idp.example.com/jwks")).staticKeys(TestTokens.keySet(RSA)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesMissingKeys() {
        assertThatThrownBy(() -> IssuerConfig.builder(ISSUER, AUDIENCE).algorithms(JWSAlgorithm.RS256).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not set");
    }

    @Test
    void refusesClockSkewAboveSixtySeconds() {
        IssuerConfig issuer = TestTokens.staticIssuer(TestTokens.keySet(RSA), JWSAlgorithm.RS256).build();
        assertThatThrownBy(() -> IdentityVerifierConfig.builder().issuer(issuer).clockSkew(Duration.ofSeconds(61)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT1M1S");
    }

    @Test
    void refusesTheSameIssuerTwice() {
        IssuerConfig issuer = TestTokens.staticIssuer(TestTokens.keySet(RSA), JWSAlgorithm.RS256).orgs("acme").build();
        assertThatThrownBy(() -> IdentityVerifierConfig.builder().issuer(issuer).issuer(issuer).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
    }

    @Test
    void refusesJwksPolicyWhoseRefreshDoesNotFitTheCacheTtl() {
        assertThatThrownBy(() -> new JwksPolicy(Duration.ofSeconds(10), Duration.ofSeconds(8), Duration.ofSeconds(5),
                Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 4096))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cacheTtl");
    }
}
