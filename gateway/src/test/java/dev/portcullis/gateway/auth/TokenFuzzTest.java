package dev.portcullis.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The token checks under arbitrary input. The first byte picks what the rest is: a raw token (the
 * shape checks and the header parser see it), or a payload the test signs with the issuer's real
 * key (so the claim checks see it). Invariants: nothing but {@link TokenRejectedException} comes
 * out; an accepted raw token has the shape {@link TokenShape} promises; an accepted payload's user
 * is the payload's own {@code sub}, a JSON string, its {@code groups} a list of strings, its org
 * one the issuer is bound to ({@code acme}), and the user is named with the issuer's alias.
 */
class TokenFuzzTest {
    private static final Instant NOW = Instant.ofEpochSecond(1_700_000_000L);
    private static final ECKey KEY = TestTokens.ecKey("ec-1");
    private static final IdentityVerifier VERIFIER = IdentityVerifier.create(IdentityVerifierConfig.builder()
            .issuer(TestTokens.staticIssuer(TestTokens.keySet(KEY), JWSAlgorithm.ES256).orgs("acme").build())
            .cacheMaxEntries(0)
            .build(), Clock.fixed(NOW, ZoneOffset.UTC));
    private static final String HEADER = Base64URL.encode("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}").toString();

    @FuzzTest(maxDuration = "15s")
    void onlyTokenRejectionsComeOutAndWhatPassesIsWellFormed(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        if ((input[0] & 1) == 0) {
            checkRawToken(new String(rest, StandardCharsets.ISO_8859_1));
        } else {
            checkSignedPayload(rest);
        }
    }

    private static void checkRawToken(String token) {
        try {
            int[] dots = TokenShape.check(token);
            assertThat(token.chars().filter(c -> c == '.').count()).isEqualTo(2);
            assertThat(token).matches("[A-Za-z0-9_.-]+");
            assertThat(dots[0]).isPositive();
            assertThat(dots[1]).isGreaterThan(dots[0] + 1);
        } catch (TokenRejectedException expected) {
            // refused with a reason: fine
        }
        try {
            VERIFIER.verify(token);
            throw new AssertionError("a token without a valid signature by the issuer's key was accepted: " + token);
        } catch (TokenRejectedException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    private static void checkSignedPayload(byte[] payload) throws JOSEException {
        String signingInput = HEADER + "." + Base64URL.encode(payload);
        String token = signingInput + "." + new ECDSASigner(KEY).sign(
                new com.nimbusds.jose.JWSHeader(JWSAlgorithm.ES256), signingInput.getBytes(StandardCharsets.US_ASCII));
        VerifiedIdentity identity;
        try {
            identity = VERIFIER.verify(token);
        } catch (TokenRejectedException expected) {
            return;
        }
        Map<String, Object> raw;
        try {
            raw = JSONObjectUtils.parse(new String(payload, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new AssertionError("accepted a payload that is not a JSON object", e);
        }
        assertThat(raw.get("sub")).as("sub of an accepted token").isInstanceOf(String.class).isEqualTo(identity.user());
        assertThat(identity.user()).isNotBlank();
        Object groups = raw.get("groups");
        if (groups != null) {
            assertThat(groups).as("groups of an accepted token").isInstanceOf(List.class);
            assertThat((List<?>) groups).allMatch(String.class::isInstance);
        }
        identity.org().ifPresent(org -> assertThat(org).as("org of an accepted token").isEqualTo("acme"));
        assertThat(identity.qualifiedUser()).isEqualTo(identity.user() + "@idp.example.com");
        assertThat(identity.isExpiredAt(NOW)).isFalse();
    }
}
