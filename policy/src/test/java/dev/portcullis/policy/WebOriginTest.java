package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class WebOriginTest {

    @Test
    void normalizesCaseAndTheDefaultPort() {
        assertThat(WebOrigin.parse("HTTPS://3000-WS42.Example.com:443").serialized()).isEqualTo("https://3000-ws42.example.com");
        assertThat(WebOrigin.parse("http://localhost:80").serialized()).isEqualTo("http://localhost");
        assertThat(WebOrigin.parse("https://a.example:8443")).isEqualTo(new WebOrigin("https", "a.example", 8443));
    }

    @Test
    void refusesWhatIsNotExactlyAnOrigin() {
        assertThatThrownBy(() -> WebOrigin.parse("null")).hasMessageContaining("'null'");
        assertThatThrownBy(() -> WebOrigin.parse("https://a.example/")).hasMessageContaining("'/'");
        assertThatThrownBy(() -> WebOrigin.parse("https://*.example")).hasMessageContaining("'*'");
        assertThatThrownBy(() -> WebOrigin.parse("https://user@a.example")).hasMessageContaining("'@'");
        assertThatThrownBy(() -> WebOrigin.parse("a.example")).hasMessageContaining("no scheme");
        assertThatThrownBy(() -> WebOrigin.parse("ftp://a.example")).hasMessageContaining("scheme 'ftp'");
        assertThatThrownBy(() -> WebOrigin.parse("https://a.example:0")).hasMessageContaining("port 0");
        assertThatThrownBy(() -> WebOrigin.parse("https://a.example:99999")).hasMessageContaining("port 99999");
        assertThatThrownBy(() -> WebOrigin.parse("https://a.example:")).hasMessageContaining("port ''");
        assertThatThrownBy(() -> WebOrigin.parse("https://[::1]:443")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebOrigin.parse("https://")).hasMessageContaining("empty");
        assertThat(WebOrigin.parseOrNull("https://a..example")).isNull();
    }

    @Test
    void aShareKeepsItsAllowedOriginsNormalizedAndRefusesBadOnes() {
        PortShare share = new PortShare(3000, ShareLevel.OWNER, Set.of(), Set.of(), null,
                Set.of("HTTPS://8080-ws42.ws.example.com:443"));

        assertThat(share.allowedOrigins()).containsExactly("https://8080-ws42.ws.example.com");
        assertThat(share.allowsOrigin(WebOrigin.parse("https://8080-ws42.ws.example.com"))).isTrue();
        assertThatThrownBy(() -> new PortShare(3000, ShareLevel.OWNER, Set.of(), Set.of(), null, Set.of("https://x/y")))
                .hasMessageStartingWith("share of port 3000: allowed origin 'https://x/y'");
    }
}
