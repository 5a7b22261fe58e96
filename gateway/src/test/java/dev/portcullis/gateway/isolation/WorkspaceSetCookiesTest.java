package dev.portcullis.gateway.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.ScriptedBackend;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A workspace's {@code Set-Cookie} headers reach the browser without any {@code Domain} attribute
 * (so no workspace sets cookies for the others), and never with the gateway's own cookie name; the
 * rest of each cookie stays as the workspace sent it. Through the real gateway over HTTP/1.1 and
 * HTTP/2, and on a 101 upgrade answer.
 */
class WorkspaceSetCookiesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String COOKIES = "Set-Cookie: a=1; Domain=ws.localhost; Path=/; Secure\r\n"
            + "Set-Cookie: b=2; Path=/; domain=.WS.LOCALHOST; HttpOnly; SameSite=None; Secure\r\n"
            + "Set-Cookie: c=3;DOMAIN = 3000-other.ws.localhost ;Max-Age=60;Domain=ws.localhost\r\n"
            + "Set-Cookie: d=4; Expires=Wed, 09 Jun 2027 10:18:14 GMT; Partitioned; Secure\r\n"
            + "Set-Cookie: __Host-portcullis=forged; Path=/; Secure; HttpOnly\r\n"
            + "Set-Cookie: __HOST-Portcullis=forged; Path=/; Secure\r\n"
            + "Set-Cookie: =__Host-portcullis=forged; Path=/; Secure\r\n"
            + "Set-Cookie: __Host-app=kept; Path=/; Secure\r\n";
    private static final List<String> EXPECTED = List.of(
            "a=1; Path=/; Secure",
            "b=2; Path=/; HttpOnly; SameSite=None; Secure",
            "c=3;Max-Age=60",
            "d=4; Expires=Wed, 09 Jun 2027 10:18:14 GMT; Partitioned; Secure",
            "__Host-app=kept; Path=/; Secure");

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder().build();

    private GatewayFixture gateway;

    @BeforeEach
    void start() {
        gateway = GATEWAY.fixture();
    }

    private HttpResponse<String> get(ScriptedBackend workspace, HttpClient.Version version) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(gateway.clientTls()).version(version)
                .connectTimeout(TIMEOUT).build();
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(
                gateway.url(workspace.port(), GatewayFixture.WORKSPACE, "/")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.version()).isEqualTo(version);
        return answer;
    }

    @Test
    void removesEveryDomainAttributeAndTheGatewaysCookieOverHttp1() throws Exception {
        try (ScriptedBackend workspace = new ScriptedBackend("HTTP/1.1 200 OK\r\n" + COOKIES
                + "Content-Length: 2\r\nConnection: close\r\n\r\nok")) {
            HttpResponse<String> answer = get(workspace, HttpClient.Version.HTTP_1_1);

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().allValues("set-cookie")).containsExactlyElementsOf(EXPECTED);
        }
    }

    @Test
    void removesEveryDomainAttributeAndTheGatewaysCookieOverHttp2() throws Exception {
        try (ScriptedBackend workspace = new ScriptedBackend("HTTP/1.1 200 OK\r\n" + COOKIES
                + "Content-Length: 2\r\nConnection: close\r\n\r\nok")) {
            HttpResponse<String> answer = get(workspace, HttpClient.Version.HTTP_2);

            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.headers().allValues("set-cookie")).containsExactlyElementsOf(EXPECTED);
        }
    }

    @Test
    void removesDomainFromACookieSetWithAWebSocketUpgrade() throws Exception {
        try (ScriptedBackend workspace = new ScriptedBackend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" + COOKIES + "\r\n")) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host, "GET /ws HTTP/1.1\r\nHost: "
                    + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 101").contains("a=1; Path=/; Secure\r\n")
                    .doesNotContainIgnoringCase("domain").doesNotContain("forged");
        }
    }

    @Test
    void leavesHeadersWithoutDomainUntouched() {
        HttpHeaders headers = new DefaultHttpHeaders().add("set-cookie", "x=1;Path=/;  Secure").add("set-cookie", "y=\"q\"");

        WorkspaceSetCookies.sanitize(headers);

        assertThat(headers.getAll("set-cookie")).containsExactly("x=1;Path=/;  Secure", "y=\"q\"");
    }

    @Test
    void keepsAValueOrAttributeThatOnlyMentionsDomain() {
        assertThat(WorkspaceSetCookies.rewrite("domain=example; Path=/domain=x")).isEqualTo("domain=example; Path=/domain=x");
        assertThat(WorkspaceSetCookies.rewrite("x=1; Domain")).isEqualTo("x=1");
    }

    @Test
    void dropsANamelessCookieThatWouldReadAsTheGatewaysCookie() {
        assertThat(WorkspaceSetCookies.rewrite("__Host-portcullis")).isNull();
        assertThat(WorkspaceSetCookies.rewrite(" =__host-portcullis=x")).isNull();
        assertThat(WorkspaceSetCookies.rewrite(" __Host-portcullis =x")).isNull();
        assertThat(WorkspaceSetCookies.rewrite("__Host-portcullis-not=x")).isEqualTo("__Host-portcullis-not=x");
    }
}
