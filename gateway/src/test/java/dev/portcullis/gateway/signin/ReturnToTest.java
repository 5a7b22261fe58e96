package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Return-to links: only our port hosts, only paths that stay on them, only signed by our key and not expired. */
class ReturnToTest {
    private static final List<String> DOMAINS = List.of("ws.example.com");

    @Test
    void aPortHostUrlWithPathAndQueryIsAccepted() {
        assertThat(ReturnTo.parse("https://3000-ws42.ws.example.com:8443/a/b?x=1&y=%20", DOMAINS))
                .contains(new ReturnTo("3000-ws42.ws.example.com", "/a/b?x=1&y=%20"));
        assertThat(ReturnTo.parse("https://3000-ws42.ws.example.com", DOMAINS))
                .contains(new ReturnTo("3000-ws42.ws.example.com", "/"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "//evil.example/x",
        "/\\evil.example/x",
        "https://evil.example/x",
        "http://3000-ws42.ws.example.com/x",
        "https://3000-ws42.ws.example.com@evil.example/x",
        "https://3000-ws42.ws.example.com.evil.example/x",
        "https://login.ws.example.com/start",
        "https://ws.example.com/",
        "javascript:alert(1)",
        "https://3000-ws42.ws.example.com//evil.example/x",
        "https://3000-ws42.ws.example.com/%2F%2Fevil.example/x",
        "https://3000-ws42.ws.example.com/%2f%5cevil.example/x",
        "https://3000-ws42.ws.example.com/%5Cevil.example/x",
        "https://3000-ws42.ws.example.com/%252F%252Fevil.example/x",
        "https://3000-ws42.ws.example.com/x#frag",
        "https://3000-ws42.ws.example.com/x\r\nSet-Cookie:a=b",
        "https://3000-ws42.ws.example.com/x y",
        ""
    })
    void anythingThatCouldLeadElsewhereIsRefused(String url) {
        assertThat(ReturnTo.parse(url, DOMAINS)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"//evil.example/x", "/\\evil.example/x", "/%2F%2Fevil.example", "/%5cevil.example",
        "/%252f%252fevil.example", "evil.example/x", "https://evil.example/", "/x\ty", ""})
    void unsafePathsAreRefused(String path) {
        assertThat(ReturnTo.isSafePath(path)).isFalse();
    }

    @Test
    void aSignedLinkVerifiesUntilItExpiresAndOnlyWithItsKey() {
        SignInSecrets secrets = SignInSecrets.random();
        Instant now = Instant.now();
        String signed = secrets.signReturnTo("https://3000-ws42.ws.example.com/x", now.plus(Duration.ofMinutes(10)));

        assertThat(secrets.verifyReturnTo(signed, now)).contains("https://3000-ws42.ws.example.com/x");
        assertThat(secrets.verifyReturnTo(signed, now.plus(Duration.ofMinutes(10)))).isEmpty();
        assertThat(SignInSecrets.random().verifyReturnTo(signed, now)).isEmpty();
        String[] parts = signed.split("\\.");
        assertThat(secrets.verifyReturnTo(parts[0] + "." + parts[1] + "." + parts[2].substring(1) + "A", now)).isEmpty();
        assertThat(secrets.verifyReturnTo("eyJhbGciOiJub25lIn0." + parts[1] + ".", now)).isEmpty();
    }

    @Test
    void sealedTokensOpenOnlyWithTheSameKey() {
        SignInSecrets secrets = SignInSecrets.random();
        String sealed = secrets.seal("refresh-token-value");

        assertThat(sealed).doesNotContain("refresh-token-value");
        assertThat(secrets.unseal(sealed)).contains("refresh-token-value");
        assertThat(SignInSecrets.random().unseal(sealed)).isEmpty();
    }
}
