package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * A gateway without access control (development only) still takes its own credentials out of every
 * request: a token or session cookie someone holds for a gateway never reaches a workspace, whose
 * code could otherwise replay it against a gateway that does check them.
 */
@OnEveryTransport
class OpenAccessCredentialsTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void gatewayCookieBearerAndQueryTokenNeverReachTheWorkspace() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            try (SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
                OutputStream out = socket.getOutputStream();
                out.write(("GET /page?access_token=query-token-for-the-gateway&kept=1 HTTP/1.1\r\nHost: " + host + "\r\n"
                        + "Authorization: Bearer bearer-token-for-the-gateway\r\n"
                        + "Cookie: app=kept-cookie; __Host-portcullis=session-for-the-gateway; theme=dark\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();

                await().atMost(Duration.ofSeconds(10)).until(() -> workspace.received().contains("\r\n\r\n"));
            }
            String head = workspace.received();
            assertThat(head).as("what the workspace received")
                    .startsWith("GET /page?kept=1 HTTP/1.1\r\n")
                    .contains("app=kept-cookie").contains("theme=dark")
                    .doesNotContain("bearer-token-for-the-gateway")
                    .doesNotContain("session-for-the-gateway")
                    .doesNotContain("__Host-portcullis")
                    .doesNotContain("query-token-for-the-gateway");
        }
    }
}
