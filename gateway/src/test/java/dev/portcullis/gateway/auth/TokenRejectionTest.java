package dev.portcullis.gateway.auth;

import static dev.portcullis.gateway.auth.TestTokens.AUDIENCE;
import static dev.portcullis.gateway.auth.TestTokens.ISSUER;
import static dev.portcullis.gateway.auth.TestTokens.NOW;
import static dev.portcullis.gateway.auth.TestTokens.b64;
import static dev.portcullis.gateway.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every attack or defect below is built in the test and must be refused with its own reason. */
class TokenRejectionTest {
    // Generated once: RSA key generation dominates the run time otherwise.
    private static final RSAKey rsa = TestTokens.rsaKey("rsa-1");
    private static final ECKey ec = TestTokens.ecKey("ec-1");
    private final IdentityVerifier verifier = IdentityVerifier.create(
            IdentityVerifierConfig.builder()
                    .issuer(TestTokens.staticIssuer(TestTokens.keySet(rsa, ec), JWSAlgorithm.RS256, JWSAlgorithm.ES256)
                            .orgs("acme").build())
                    .issuer(IssuerConfig.builder("https://typed.example.com", AUDIENCE).orgs("acme")
                            .staticKeys(TestTokens.keySet(rsa)).algorithms(JWSAlgorithm.RS256).expectedType("at+jwt").build())
                    .issuer(IssuerConfig.builder("https://rsa-only.example.com", AUDIENCE).orgs("globex")
                            .staticKeys(TestTokens.keySet(rsa, ec)).algorithms(JWSAlgorithm.RS256).build())
                    .build(),
            Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() {
        verifier.close();
    }

    private void assertRejected(String token, RejectionReason reason) {
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOfSatisfying(TokenRejectedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    if (!token.isEmpty()) {
                        assertThat(e.getMessage()).doesNotContain(token);
                    }
                });
        // The non-blocking path refuses for the same reason.
        assertThat(verifier.verifyAsync(token)).failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .satisfies(e -> assertThat(((TokenRejectedException) e.getCause()).reason()).isEqualTo(reason));
    }

    private String valid() {
        return TestTokens.rs256(rsa, claims().build());
    }

    @Test
    void refusesTokenOver8KiBBeforeParsing() {
        String token = TestTokens.rs256(rsa, claims().claim("pad", "x".repeat(9000)).build());
        assertRejected(token, RejectionReason.TOKEN_TOO_LARGE);
    }

    @Test
    void refusesFourSegments() {
        assertRejected(valid() + ".AAAA", RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesTwoSegments() {
        String token = valid();
        assertRejected(token.substring(0, token.lastIndexOf('.')), RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesBase64Padding() {
        assertRejected(valid() + "==", RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesCharactersOutsideBase64Url() {
        String token = valid();
        assertRejected(token.substring(0, 5) + "+" + token.substring(6), RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesEncryptedToken() throws JOSEException {
        JWEObject jwe = new JWEObject(new JWEHeader(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM),
                new Payload(claims().build().toJSONObject()));
        jwe.encrypt(new RSAEncrypter(rsa.toRSAPublicKey()));
        assertRejected(jwe.serialize(), RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesAlgNone() {
        assertRejected(b64("{\"alg\":\"none\"}") + "." + b64(claims().build().toString()) + ".", RejectionReason.ALG_NOT_ALLOWED);
    }

    @Test
    void refusesAlgNoneInMixedCaseEvenWithASignature() {
        String token = b64("{\"alg\":\"NoNe\",\"kid\":\"rsa-1\"}") + "." + b64(claims().build().toString()) + ".c2lnbmF0dXJl";
        assertRejected(token, RejectionReason.ALG_NOT_ALLOWED);
    }

    @Test
    void refusesHs256SignedWithTheRsaPublicKeyAsSecret() throws JOSEException {
        // The classic key confusion: a verifier that feeds the public key to HMAC would accept this.
        byte[] publicKeyBytes = rsa.toRSAPublicKey().getEncoded();
        String token = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(),
                claims().build(), new MACSigner(publicKeyBytes));
        assertRejected(token, RejectionReason.ALG_NOT_ALLOWED);
    }

    @Test
    void refusesAlgorithmTheIssuerDoesNotAllow() {
        // Correctly signed with a key the issuer lists, but ES256 is not on that issuer's list.
        String token = TestTokens.es256(ec, claims().issuer("https://rsa-only.example.com").build());
        assertRejected(token, RejectionReason.ALG_NOT_ALLOWED);
    }

    @Test
    void ignoresAttackerKeyEmbeddedInJwkAndJkuHeaders() {
        RSAKey attacker = TestTokens.rsaKey("rsa-1");
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID("rsa-1")
                .jwk(attacker.toPublicJWK())
                .jwkURL(URI.create("http://127.0.0.1:9/attacker-jwks.json"))
                .build();
        String token = TestTokens.sign(header, claims().build(), TestTokens.rsaSigner(attacker));
        assertRejected(token, RejectionReason.BAD_SIGNATURE);
    }

    @Test
    void refusesUnknownKid() {
        RSAKey other = TestTokens.rsaKey("rsa-unknown");
        assertRejected(TestTokens.rs256(other, claims().build()), RejectionReason.UNKNOWN_KEY);
    }

    @Test
    void refusesTamperedPayload() {
        String[] parts = valid().split("\\.");
        String forged = b64(claims().subject("mallory").build().toString());
        assertRejected(parts[0] + "." + forged + "." + parts[2], RejectionReason.BAD_SIGNATURE);
    }

    @Test
    void refusesUnknownCriticalHeader() {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
                .criticalParams(Set.of("urn:example:must-understand"))
                .customParam("urn:example:must-understand", true)
                .build();
        assertRejected(TestTokens.sign(header, claims().build(), TestTokens.rsaSigner(rsa)), RejectionReason.UNKNOWN_CRIT);
    }

    @Test
    void refusesUnknownIssuer() {
        assertRejected(TestTokens.rs256(rsa, claims().issuer("https://evil.example.com").build()), RejectionReason.UNKNOWN_ISSUER);
    }

    @Test
    void refusesIssuerThatOnlyDiffersByTrailingSlash() {
        assertRejected(TestTokens.rs256(rsa, claims().issuer(ISSUER + "/").build()), RejectionReason.UNKNOWN_ISSUER);
    }

    @Test
    void refusesWrongAudience() {
        assertRejected(TestTokens.rs256(rsa, claims().audience("some-other-service").build()), RejectionReason.WRONG_AUDIENCE);
    }

    @Test
    void refusesMissingAudience() {
        assertRejected(TestTokens.rs256(rsa, claims().audience((String) null).build()), RejectionReason.WRONG_AUDIENCE);
    }

    @Test
    void refusesExpiredToken() {
        assertRejected(TestTokens.rs256(rsa, claims().expirationTime(Date.from(NOW.minusSeconds(1))).build()),
                RejectionReason.EXPIRED);
    }

    @Test
    void refusesNotBeforeBeyondClockSkew() {
        assertRejected(TestTokens.rs256(rsa, claims().notBeforeTime(Date.from(NOW.plusSeconds(31))).build()),
                RejectionReason.NOT_YET_VALID);
    }

    @Test
    void refusesIssuedAtBeyondClockSkew() {
        assertRejected(TestTokens.rs256(rsa, claims().issueTime(Date.from(NOW.plusSeconds(120))).build()),
                RejectionReason.NOT_YET_VALID);
    }

    @Test
    void refusesMissingExp() {
        assertRejected(TestTokens.rs256(rsa, claims().expirationTime(null).build()), RejectionReason.MISSING_EXP);
    }

    @Test
    void refusesWrongTyp() {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
                .type(com.nimbusds.jose.JOSEObjectType.JWT).build();
        String token = TestTokens.sign(header, claims().issuer("https://typed.example.com").build(), TestTokens.rsaSigner(rsa));
        assertRejected(token, RejectionReason.WRONG_TYP);
    }

    @Test
    void refusesMissingTypWhenIssuerExpectsOne() {
        assertRejected(TestTokens.rs256(rsa, claims().issuer("https://typed.example.com").build()), RejectionReason.WRONG_TYP);
    }

    @Test
    void refusesTokenWithoutUser() {
        assertRejected(TestTokens.rs256(rsa, claims().subject(null).build()), RejectionReason.MISSING_USER);
    }

    @Test
    void refusesSubjectThatIsANumber() {
        assertRejected(TestTokens.rs256(rsa, claims().subject(null).claim("sub", 42).build()), RejectionReason.MISSING_USER);
    }

    @Test
    void refusesGroupsThatAreASingleString() {
        assertRejected(TestTokens.rs256(rsa, claims().claim("groups", "sre,admins").build()), RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesGroupsWithANonStringEntry() {
        assertRejected(TestTokens.rs256(rsa, claims().claim("groups", java.util.List.of("sre", 7)).build()),
                RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesOrgThatIsAList() {
        assertRejected(TestTokens.rs256(rsa, claims().claim("org", java.util.List.of("acme")).build()),
                RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesEmailThatIsAnObject() {
        assertRejected(TestTokens.rs256(rsa, claims().claim("email", java.util.Map.of("a", "b")).build()),
                RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesOrgTheIssuerIsNotBoundTo() {
        assertRejected(TestTokens.rs256(rsa, claims().claim("org", "globex").build()), RejectionReason.ORG_NOT_BOUND);
    }

    @Test
    void refusesNonJsonHeader() {
        assertRejected(b64("not json") + "." + b64(claims().build().toString()) + ".AAAA", RejectionReason.TOKEN_MALFORMED);
    }

    @Test
    void refusesNullAndEmptyTokens() {
        assertThatThrownBy(() -> verifier.verify(null))
                .isInstanceOfSatisfying(TokenRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectionReason.TOKEN_MALFORMED));
        assertRejected("", RejectionReason.TOKEN_MALFORMED);
    }
}
