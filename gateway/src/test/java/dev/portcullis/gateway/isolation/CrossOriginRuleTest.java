package dev.portcullis.gateway.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The origin comparison on its own: default ports, letter case, and which requests need it at all. */
class CrossOriginRuleTest {
    private static HttpRequest post(String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    @Test
    void theDefaultHttpsPortIsTheSameOriginWrittenOrNot() {
        assertThat(CrossOriginRule.refusal(post("Origin", "https://3000-ws42.ws.example.com:443"),
                "3000-ws42.ws.example.com", null)).isNull();
        assertThat(CrossOriginRule.refusal(post("Origin", "https://3000-ws42.ws.example.com"),
                "3000-ws42.ws.example.com:443", null)).isNull();
        assertThat(CrossOriginRule.refusal(post("Origin", "https://3000-ws42.ws.example.com:8443"),
                "3000-ws42.ws.example.com", null)).contains("came from a page of https://3000-ws42.ws.example.com:8443");
    }

    @Test
    void theHostHeadersLetterCaseDoesNotMatter() {
        assertThat(CrossOriginRule.refusal(post("Origin", "https://3000-ws42.ws.example.com"),
                "3000-WS42.ws.Example.com", null)).isNull();
    }

    @Test
    void anotherPortOfTheSameWorkspaceIsAnotherOrigin() {
        assertThat(CrossOriginRule.refusal(post("Origin", "https://8080-ws42.ws.example.com"),
                "3000-ws42.ws.example.com", PortShare.of(3000, ShareLevel.OWNER))).isNotNull();
        PortShare allowing = new PortShare(3000, ShareLevel.OWNER, Set.of(), Set.of(), null,
                Set.of("HTTPS://8080-WS42.ws.example.com:443"));
        assertThat(CrossOriginRule.refusal(post("Origin", "https://8080-ws42.ws.example.com"),
                "3000-ws42.ws.example.com", allowing)).isNull();
    }

    @Test
    void anOriginWithOddCharactersIsEchoedAsPrintableAscii() {
        String refusal = CrossOriginRule.refusal(post("Origin", "https://x\u00e9<script>"), "3000-ws42.ws.example.com", null);

        assertThat(refusal).contains("'https://x?<script>'").doesNotContain("\u00e9");
    }

    @Test
    void onlyUnsafeMethodsAndUpgradesNeedTheCheck() {
        for (HttpMethod safe : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS}) {
            assertThat(CrossOriginRule.needsSameOrigin(new DefaultHttpRequest(HttpVersion.HTTP_1_1, safe, "/"))).isFalse();
        }
        for (HttpMethod unsafe : new HttpMethod[] {HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH,
                HttpMethod.TRACE, HttpMethod.valueOf("PROPFIND")}) {
            assertThat(CrossOriginRule.needsSameOrigin(new DefaultHttpRequest(HttpVersion.HTTP_1_1, unsafe, "/"))).isTrue();
        }
        HttpRequest upgrade = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        upgrade.headers().set("upgrade", "h2c");
        assertThat(CrossOriginRule.needsSameOrigin(upgrade)).isTrue();
    }
}
