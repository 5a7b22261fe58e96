package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** The gateway's waits: each one ends with a clear answer or a closed connection, never a hang. */
@OnEveryTransport
class TimeoutsTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void clientTricklingItsHeadIsClosedAtTheDeadlineWith408() throws Exception {
        Timeouts timeouts = new Timeouts(Duration.ofMillis(1500), Duration.ofSeconds(2), Duration.ofSeconds(20),
                Duration.ofMinutes(1));
        try (GatewayFixture gateway = GatewayFixture.start(transport, state, config -> config.timeouts(timeouts));
             RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            try (SSLSocket socket = connect(gateway, host)) {
                OutputStream out = socket.getOutputStream();
                byte[] head = ("GET / HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: " + "x".repeat(100)).getBytes(StandardCharsets.US_ASCII);
                long start = System.nanoTime();
                int sent = 0;
                // One byte every 100 ms: each byte would reset an idle timer, never this deadline.
                try {
                    for (; sent < head.length && System.nanoTime() - start < 8_000_000_000L; sent++) {
                        out.write(head[sent]);
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (java.io.IOException closedByGateway) {
                    // expected once the deadline passed
                }
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

                assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"error\":\"request-head-timeout\"");
                assertThat(elapsedMillis).as("closed near the 1.5 s deadline").isLessThan(6_000);
                assertThat(sent).as("bytes the client got to send").isLessThan(head.length);
            }
            assertThat(workspace.connections()).isZero();
        }
    }

    @Test
    void workspaceThatNeverAnswersIs504AfterTheResponseHeadTimeout() throws Exception {
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(800),
                Duration.ofMinutes(1));
        try (GatewayFixture gateway = GatewayFixture.start(transport, state, config -> config.timeouts(timeouts));
             RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                    "GET /slow HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 504 ").contains("\"error\":\"upstream-timeout\"");
            assertThat(workspace.received()).startsWith("GET /slow HTTP/1.1");
        }
    }

    @Test
    void silentConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        Timeouts timeouts = new Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofMillis(800));
        try (GatewayFixture gateway = GatewayFixture.start(transport, state, config -> config.timeouts(timeouts));
             SSLSocket socket = connect(gateway, gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE))) {
            socket.startHandshake();
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();

            int read = in.read();
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(read).as("end of stream: the gateway closed").isEqualTo(-1);
            assertThat(elapsedMillis).isBetween(500L, 8_000L);
        }
    }

    private static SSLSocket connect(GatewayFixture gateway, String serverName) throws Exception {
        SSLSocket socket = (SSLSocket) gateway.clientTls().getSocketFactory().createSocket("127.0.0.1", gateway.gatewayPort());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(15_000);
        return socket;
    }
}
