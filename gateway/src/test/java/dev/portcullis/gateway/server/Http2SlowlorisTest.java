package dev.portcullis.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2Frames;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * Slowloris over HTTP/2 (issue 17, item 2): connections that never open a stream are closed by an
 * absolute deadline no frame resets, and one client address cannot hold every connection.
 */
@OnEveryTransport
class Http2SlowlorisTest {
    @Parameter
    Transport transport;

    private static final String SNI = "h2.ws.localhost";
    /** Long enough that a close within the raw client's 10 s read timeout cannot be the request-head deadline. */
    private static final Duration LONG_REQUEST_HEAD = Duration.ofSeconds(30);

    @TempDir
    Path state;

    @Test
    void connectionSendingOnlyPrefaceAndSettingsIsClosedWithGoAwayAtTheRequestHeadDeadline() throws Exception {
        try (GatewayFixture gateway = start(Duration.ofSeconds(1), Duration.ofMinutes(5));
             RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), SNI)) {

            long started = System.nanoTime();
            boolean goAway = raw.closedWithGoAway();

            assertThat(goAway).as("GOAWAY, then closed, before the 10 s read timeout").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void headerBlockThatNeverEndsIsClosedAtTheRequestHeadDeadlineThoughFramesKeepComing() throws Exception {
        try (GatewayFixture gateway = start(Duration.ofSeconds(1), Duration.ofMinutes(5));
             RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), SNI)) {
            String authority = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
            raw.frame(RawHttp2Frames.HEADERS, 0, 1, RawHttp2Frames.getRequestBlock(authority)); // no END_HEADERS
            raw.frame(RawHttp2Frames.CONTINUATION, 0, 1, new byte[0]);

            assertThat(raw.closedWithGoAway()).as("GOAWAY, then closed").isTrue();
        }
    }

    @Test
    void connectionWhoseStreamsEndedIsClosedAfterHttp2IdleThoughIdleIsLong() throws Exception {
        try (GatewayFixture gateway = start(LONG_REQUEST_HEAD, Duration.ofSeconds(1));
             RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), SNI)) {
            String authority = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
            raw.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS | RawHttp2Frames.END_STREAM, 1,
                    RawHttp2Frames.getRequestBlock(authority));

            // The response comes, then nothing until the GOAWAY: timeouts.idle is a minute, requestHead 30 s.
            assertThat(raw.closedWithGoAway()).as("GOAWAY, then closed, before the 10 s read timeout").isTrue();
            assertThat(closesByDeadline(gateway, "idle")).isEqualTo(1.0);
        }
    }

    /**
     * The gateway answers a request for an unknown workspace at once and then reads the stream to
     * its end; a client that never ends it must not keep the stream, and so the connection, open.
     */
    @Test
    void streamAnsweredByTheGatewayButNeverEndedDoesNotKeepTheConnectionOpen() throws Exception {
        try (GatewayFixture gateway = start(Duration.ofSeconds(1), Duration.ofSeconds(1));
             RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), SNI)) {
            raw.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS, 1,
                    RawHttp2Frames.getRequestBlock(gateway.host(gateway.workspacePort(), "nosuchws"))); // no END_STREAM

            assertThat(raw.closedWithGoAway()).as("GOAWAY, then closed, before the 10 s read timeout").isTrue();
        }
    }

    @Test
    void oneAddressCannotOpenMoreThanMaxConnectionsPerAddress() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state,
                config -> config.limits(new Limits(100, 0, Duration.ofSeconds(2)).withMaxConnectionsPerAddress(2)));
             SSLSocket first = handshaken(gateway);
             SSLSocket second = handshaken(gateway)) {

            assertThatThrownBy(() -> handshaken(gateway).close()).as("a third connection from 127.0.0.1")
                    .isInstanceOf(IOException.class);

            first.close();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .untilAsserted(() -> handshaken(gateway).close()); // a slot is free again
            assertThat(second.isClosed()).isFalse();
        }
    }

    private static SSLSocket handshaken(GatewayFixture gateway) throws IOException {
        SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), SNI);
        try {
            socket.startHandshake();
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private GatewayFixture start(Duration requestHead, Duration http2Idle) throws Exception {
        return GatewayFixture.start(transport, state, config -> config.timeouts(
                new Timeouts(requestHead, Duration.ofSeconds(2), Duration.ofSeconds(20), Duration.ofMinutes(1), http2Idle)));
    }

    private static double closesByDeadline(GatewayFixture gateway, String deadline) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        String prefix = "portcullis_http2_deadline_closes_total{deadline=\"" + deadline + "\"} ";
        return metrics.lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length()))).sum();
    }
}
