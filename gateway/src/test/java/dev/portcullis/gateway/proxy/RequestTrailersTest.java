package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * Issue 17, item 5: credentials and gateway-set fields sent as request trailers reached the
 * workspace, over HTTP/1.1 (chunked trailers) and HTTP/2 (trailing HEADERS). They are stripped like
 * headers; other trailers pass.
 */
@OnEveryTransport
class RequestTrailersTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    private GatewayFixture gateway;
    private RecordingBackend workspace;
    private String host;

    @BeforeEach
    void start() throws Exception {
        gateway = GatewayFixture.start(transport, state);
        workspace = new RecordingBackend();
        host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
    }

    @AfterEach
    void stop() throws Exception {
        workspace.close();
        gateway.close();
    }

    @Test
    void http1TrailersLoseCredentialsAndGatewayFields() throws Exception {
        try (SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n"
                    + "Authorization: Bearer stolen\r\n"
                    + "Cookie: __Host-portcullis=session-ref\r\n"
                    + "X-Portcullis-Identity: forged\r\n"
                    + "X-Forwarded-For: 10.9.9.9\r\n"
                    + "X-Checksum: abc123\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            assertOnlyHarmlessTrailersArrive();
        }
    }

    @Test
    void http2TrailersLoseCredentialsAndGatewayFields() throws Exception {
        try (RawHttp2 client = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), "h2.ws.localhost")) {
            client.sendWithTrailers(
                    RawHttp2.headers().method("POST").scheme("https").authority(host + ":" + gateway.gatewayPort())
                            .path("/upload"),
                    "hello",
                    RawHttp2.headers().add("authorization", "Bearer stolen")
                            .add("cookie", "__Host-portcullis=session-ref")
                            .add("x-portcullis-identity", "forged")
                            .add("x-forwarded-for", "10.9.9.9")
                            .add("x-checksum", "abc123"));

            assertOnlyHarmlessTrailersArrive();
        }
    }

    private void assertOnlyHarmlessTrailersArrive() {
        await().atMost(Duration.ofSeconds(10)).until(() -> workspace.received().toLowerCase(Locale.ROOT)
                .contains("x-checksum: abc123"));
        String received = workspace.received().toLowerCase(Locale.ROOT);
        String trailers = received.substring(received.indexOf("\r\n0\r\n"));
        assertThat(trailers).contains("x-checksum: abc123")
                .doesNotContain("stolen", "session-ref", "forged", "10.9.9.9");
    }
}
