package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.transport.Transport;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** The plain-HTTP listener redirects to HTTPS and does nothing else. */
@OnEveryTransport
class HttpsRedirectTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void plainRequestIsRedirectedWith308ToTheSameUrlOverHttps() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = plain(gateway, "GET /app/page?tab=2 HTTP/1.1\r\nHost: 3000-demo.ws.localhost:8080\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 308 ")
                    .contains("location: https://3000-demo.ws.localhost:" + gateway.gatewayPort() + "/app/page?tab=2");
        }
    }

    @Test
    void hostUnderAnotherDomainIsNotRedirected() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = plain(gateway, "GET / HTTP/1.1\r\nHost: evil.example.com\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 421 ").doesNotContain("location:");
        }
    }

    @Test
    void malformedRequestIs400() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = plain(gateway, "GET / HTTP/1.1\r\nHost 3000-demo.ws.localhost\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 400 ");
        }
    }

    private static String plain(GatewayFixture gateway, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.redirectPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
