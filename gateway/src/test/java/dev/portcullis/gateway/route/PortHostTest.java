package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PortHostTest {
    private static final List<String> DOMAINS = List.of("ws.example.com", "eu.ws.example.com");

    @Test
    void readsPortWorkspaceAndDomainIgnoringCaseListenerPortAndTrailingDot() {
        assertThat(PortHost.parse("3000-ws42.WS.example.com.:8443", DOMAINS))
                .isEqualTo(new PortHost.WorkspacePort(3000, "ws42", "ws.example.com"));
    }

    @Test
    void matchesTheDomainThatEndsTheHostNotTheFirstListed() {
        assertThat(PortHost.parse("8080-a-b.eu.ws.example.com", DOMAINS))
                .isEqualTo(new PortHost.WorkspacePort(8080, "a-b", "eu.ws.example.com"));
    }

    @Test
    void theCanonicalHostNameIsTheHostAsParsedAndTheLabelEndsAtTheBaseDomain() {
        List<String> dashed = List.of("my-ws.example");
        PortHost parsed = PortHost.parse("8080-Ws1.MY-WS.example:443", dashed);
        assertThat(parsed).isEqualTo(new PortHost.WorkspacePort(8080, "ws1", "my-ws.example"));
        assertThat(((PortHost.WorkspacePort) parsed).hostName()).isEqualTo("8080-ws1.my-ws.example");
        // The only dash is the base domain's: no port label.
        assertThat(PortHost.parse("80.my-ws.example", dashed)).isInstanceOf(PortHost.Malformed.class);
        assertThat(PortHost.parse("8.my-ws.example", dashed)).isInstanceOf(PortHost.Malformed.class);
    }

    @Test
    void hostUnderNoBaseDomainIsForeign() {
        assertThat(PortHost.parse("3000-ws42.example.org", DOMAINS)).isEqualTo(new PortHost.ForeignDomain("3000-ws42.example.org"));
        assertThat(PortHost.parse("3000-ws42.xws.example.com", DOMAINS)).isInstanceOf(PortHost.ForeignDomain.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "ws.example.com", "demo.ws.example.com", "3000.ws.example.com", "-ws42.ws.example.com",
            "0-ws42.ws.example.com", "70000-ws42.ws.example.com", "03000-ws42.ws.example.com", "123456-ws.ws.example.com",
            "3000-ws42-.ws.example.com", "3000-ws_42.ws.example.com", "3000-WS 42.ws.example.com",
            "3000-a.b.ws.example.com", "3000-ws42.ws.example.com:", "3000-ws42.ws.example.com:99999x",
            "3000-ws42..ws.example.com", "[::1]:8443", "3000-ws42.ws.example.com\u0000"})
    void rejectsWhatIsNotAWorkspacePortName(String host) {
        assertThat(PortHost.parse(host, DOMAINS)).isInstanceOf(PortHost.Malformed.class);
    }

    @Test
    void missingHostIsMalformed() {
        assertThat(PortHost.parse(null, DOMAINS)).isEqualTo(new PortHost.Malformed("the request has no Host"));
    }

    @Test
    void workspaceIdLongerThanFitsOneDnsLabelIsRejected() {
        String id = "a".repeat(58);
        assertThat(PortHost.parse("3000-" + id + ".ws.example.com", DOMAINS)).isInstanceOf(PortHost.Malformed.class);
        assertThat(PortHost.parse("3000-" + id.substring(1) + ".ws.example.com", DOMAINS))
                .isInstanceOf(PortHost.WorkspacePort.class);
    }

    @Test
    void errorMessageNeverEchoesControlCharacters() {
        PortHost parsed = PortHost.parse("bad\u0007host\r", DOMAINS);
        assertThat(parsed).isInstanceOfSatisfying(PortHost.Malformed.class,
                malformed -> assertThat(malformed.reason()).doesNotContain("\u0007", "\r").contains("bad?host?"));
    }
}
