package dev.portcullis.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow request bodies (issue 17, item 1): a body that stalls holds a workspace connection (and over
 * HTTP/1.1 a client connection) for as long as the client likes. While the gateway waits for more
 * of it, the next part must come within {@code timeouts.requestBodyProgress}; a slow body that keeps
 * coming is not cut.
 */
class BodyProgressDeadlineTest {
    private static final Duration PROGRESS = Duration.ofSeconds(1);

    @TempDir
    Path state;

    @Test
    void http11BodyThatStallsIsAnswered408AndItsWorkspaceConnectionGoes() throws Exception {
        try (GatewayFixture gateway = start();
             RecordingBackend workspace = new RecordingBackend();
             SSLSocket client = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host(gateway, workspace))) {
            long started = System.nanoTime();
            OutputStream out = client.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: " + host(gateway, workspace) + "\r\nContent-Length: 100\r\n\r\n"
                    + "ten bytes.").getBytes(StandardCharsets.US_ASCII));
            out.flush();

            String answer = readToEnd(client.getInputStream());

            assertThat(answer).startsWith("HTTP/1.1 408").contains("request-body-timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            await().atMost(Duration.ofSeconds(5)).until(() -> workspace.closedConnections() == 1);
            assertThat(workspace.received()).as("the workspace never saw the body's end").endsWith("ten bytes.");
        }
    }

    @Test
    void http11BodyThatKeepsComingSlowlyIsNotCut() throws Exception {
        try (GatewayFixture gateway = start();
             SSLSocket client = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(),
                     host(gateway, gateway.workspacePort()))) {
            OutputStream out = client.getOutputStream();
            out.write(("POST /echo HTTP/1.1\r\nHost: " + host(gateway, gateway.workspacePort())
                    + "\r\nContent-Length: 5\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (int i = 0; i < 5; i++) { // 2.5 s in all, each part within the 1 s deadline
                TimeUnit.MILLISECONDS.sleep(500); // the client's pace is what is tested, not a wait for the gateway
                out.write('a' + i);
                out.flush();
            }

            String answer = readToEnd(client.getInputStream());

            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("\r\ne\r\n0\r\n\r\n");
        }
    }

    @Test
    void http2StreamWhoseBodyStallsGivesItsWorkspaceConnectionBackWhileTheConnectionStays() throws Exception {
        try (GatewayFixture gateway = start();
             RawHttp2 client = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), "h2.ws.localhost")) {
            List<CompletableFuture<String>> streams = client.bodiesThatNeverEnd(RawHttp2.headers().method("POST")
                    .scheme("https").path("/echo").authority(host(gateway, gateway.workspacePort()) + ":"
                            + gateway.gatewayPort()), 3);
            assertThat(streams).allSatisfy(stream -> assertThat(stream.get(10, TimeUnit.SECONDS)).isEqualTo("status 200"));
            // Each held a workspace connection (the workspace answered); only the deadline can end them:
            // the client never ends its streams and timeouts.idle is a minute.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(gateway.scrapeMetrics()).contains("portcullis_workspace_connections_held 0.0"));
            assertThat(client.isOpen()).as("only the streams were cut").isTrue();
        }
    }

    private GatewayFixture start() throws Exception {
        return GatewayFixture.start(Transport.best(), state, config -> config.timeouts(
                new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(20), Duration.ofMinutes(1))
                        .withRequestBodyProgress(PROGRESS)));
    }

    private static String host(GatewayFixture gateway, RecordingBackend workspace) {
        return host(gateway, workspace.port());
    }

    private static String host(GatewayFixture gateway, int port) {
        return gateway.host(port, GatewayFixture.WORKSPACE);
    }

    private static String readToEnd(InputStream in) throws Exception {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        in.transferTo(answer);
        return answer.toString(StandardCharsets.ISO_8859_1);
    }
}
