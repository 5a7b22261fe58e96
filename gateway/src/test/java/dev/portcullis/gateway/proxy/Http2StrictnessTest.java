package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.LeakWatch;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttp2Frames;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 9113 §8.2-8.3: a malformed HTTP/2 request is refused — stream reset or 400 — and never
 * translated to HTTP/1.1 for a workspace.
 */
@OnEveryTransport
class Http2StrictnessTest {
    @Parameter
    Transport transport;

    private static final Pattern ACTIVE_CONNECTIONS = Pattern.compile("(?m)^portcullis_active_connections (\\S+)$");

    @TempDir
    Path state;

    private GatewayFixture gateway;
    private RecordingBackend workspace;
    private RawHttp2 client;
    private String authority;

    @BeforeEach
    void start() throws Exception {
        gateway = GatewayFixture.start(transport, state);
        workspace = new RecordingBackend();
        authority = gateway.host(workspace.port(), GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort();
        client = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), "h2.ws.localhost");
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        workspace.close();
        gateway.close();
    }

    static Stream<Arguments> malformedRequests() {
        return Stream.of(
                Arguments.of("uppercase header name", (Consumer<Http2Headers>) h -> h.add("X-Upper", "a"), null),
                Arguments.of("connection-specific header", (Consumer<Http2Headers>) h -> h.add("connection", "keep-alive"), null),
                Arguments.of("transfer-encoding", (Consumer<Http2Headers>) h -> h.add("transfer-encoding", "chunked"), null),
                Arguments.of("te other than trailers", (Consumer<Http2Headers>) h -> h.add("te", "gzip"), null),
                Arguments.of("missing :path", (Consumer<Http2Headers>) h -> h.remove(":path"), null),
                Arguments.of("relative :path", (Consumer<Http2Headers>) h -> h.path("index.html"), null),
                Arguments.of("space in :method", (Consumer<Http2Headers>) h -> h.method("GE T"), null),
                Arguments.of("host differing from :authority", (Consumer<Http2Headers>) h -> h.add("host", "other.ws.localhost"), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRequests")
    void malformedStreamIsRefusedAndNeverForwarded(String name, Consumer<Http2Headers> spoil, String body) throws Exception {
        Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").authority(authority).path("/");
        spoil.accept(headers);

        String outcome = client.exchange(headers, body);

        assertThat(outcome).as(name).matches("reset .*|status 400|closed");
        Thread.sleep(100);
        assertThat(workspace.connections()).as("connections the workspace saw").isZero();
    }

    /**
     * RFC 9113 §8.3.1: a request lacking :method, :scheme or :path is malformed. Each is reset with
     * PROTOCOL_ERROR at once (a stream without :method used to get no answer at all, and one without
     * :scheme was served), and the workspace never sees it.
     */
    @ParameterizedTest(name = "without {0}")
    @ValueSource(strings = {":method", ":scheme", ":path"})
    void requestWithoutARequiredPseudoHeaderIsResetWithProtocolError(String pseudoHeader) throws Exception {
        Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").authority(authority).path("/");
        headers.remove(pseudoHeader);

        String outcome = client.exchange(headers, null);

        assertThat(outcome).isEqualTo("reset PROTOCOL_ERROR");
        assertThat(workspace.connections()).as("connections the workspace saw").isZero();
    }

    @Test
    void moreThan100HeaderFieldsIs431AndNeverForwarded() throws Exception {
        Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").authority(authority).path("/");
        for (int i = 0; i < 101; i++) {
            headers.add("x-f" + i, "v");
        }

        String outcome = client.exchange(headers, null);

        assertThat(outcome).isEqualTo("status 431");
        assertThat(workspace.connections()).as("connections the workspace saw").isZero();
    }

    /**
     * The head of a POST may already be on its way to the workspace when DATA shows the body is
     * shorter than its content-length; as with a broken chunked body over HTTP/1.1, the stream is
     * reset and the workspace never receives a whole request.
     */
    @Test
    void contentLengthNotMatchingDataIsResetAndTheWorkspaceNeverGetsAWholeBody() throws Exception {
        Http2Headers headers = RawHttp2.headers().method("POST").scheme("https").authority(authority).path("/")
                .add("content-length", "10");

        String outcome = client.exchange(headers, "short");

        assertThat(outcome).matches("reset .*|status 400|closed");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (workspace.closedConnections() < workspace.connections() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(workspace.closedConnections()).as("workspace connections closed").isEqualTo(workspace.connections());
        String received = workspace.received();
        int bodyStart = received.indexOf("\r\n\r\n");
        assertThat(bodyStart < 0 ? "" : received.substring(bodyStart + 4)).as("body bytes the workspace got")
                .hasSizeLessThan(10);
    }

    /*
     * The floods below also check that the gateway keeps nothing behind ("memory flat" without
     * timing anything): once the flooding connection is closed, no client connection is counted
     * open, every workspace connection a stream opened is closed, and Netty's leak detector, tracking
     * every buffer, finds none that was dropped unreleased.
     */

    @Test
    void rapidResetFloodEndsTheConnectionAndLeavesNothingBehind() throws Exception {
        Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").authority(authority).path("/");
        try (LeakWatch leakWatch = new LeakWatch()) {

            int opened = client.rapidReset(headers, 1000);

            // How many the client queued before the close reached it depends on scheduling (on a busy
            // machine it can queue all 1000 first); what matters is that the gateway ended the connection.
            assertThat(opened).as("-1: the gateway never closed the connection").isPositive();
            assertLeavesNothingBehind(leakWatch);
        }
    }

    @Test
    void continuationFloodEndsTheConnectionWithGoAwayAndLeavesNothingBehind() throws Exception {
        client.close(); // only the flooding connection is open
        try (LeakWatch leakWatch = new LeakWatch();
             RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), "h2.ws.localhost")) {
            raw.frame(RawHttp2Frames.HEADERS, 0, 1, RawHttp2Frames.getRequestBlock(authority)); // no END_HEADERS

            raw.flood(RawHttp2Frames.CONTINUATION, 0, 1, new byte[0], 20_000);

            assertThat(raw.closedWithGoAway()).as("GOAWAY, then the connection closed").isTrue();
            assertThat(workspace.connections()).isZero();
            assertLeavesNothingBehind(leakWatch);
        }
    }

    @Test
    void emptyDataFloodEndsTheConnectionWithGoAwayAndLeavesNothingBehind() throws Exception {
        client.close();
        try (LeakWatch leakWatch = new LeakWatch();
             RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), "h2.ws.localhost")) {
            raw.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS, 1, RawHttp2Frames.getRequestBlock(authority));

            raw.flood(RawHttp2Frames.DATA, 0, 1, new byte[0], 20_000);

            assertThat(raw.closedWithGoAway()).as("GOAWAY, then the connection closed").isTrue();
            assertLeavesNothingBehind(leakWatch);
        }
    }

    private void assertLeavesNothingBehind(LeakWatch leakWatch) throws Exception {
        // Bounded waits for the gateway to finish closing: the assertions are about the end state.
        awaitOrGiveUp(() -> activeConnections() == 0);
        // Connects that streams started before the close may still land after it (the gateway then
        // closes them at once), so both counts must agree and stay so, not just meet once.
        awaitSteadily(() -> workspace.closedConnections() == workspace.connections());

        assertThat(activeConnections()).as("client connections the gateway still counts open").isZero();
        assertThat(workspace.closedConnections()).as("workspace connections closed")
                .isEqualTo(workspace.connections());
        assertThat(leakWatch.leaks()).as("buffers dropped without release").isEmpty();
    }

    private double activeConnections() throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher gauge = ACTIVE_CONNECTIONS.matcher(metrics);
        assertThat(gauge.find()).as("portcullis_active_connections in /metrics").isTrue();
        return Double.parseDouble(gauge.group(1));
    }

    /** Until {@code condition} has held for half a second on end, or ten seconds passed. */
    private static void awaitSteadily(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long heldSince = -1;
        while (System.nanoTime() < deadline) {
            if (!condition.call()) {
                heldSince = -1;
            } else if (heldSince < 0) {
                heldSince = System.nanoTime();
            } else if (System.nanoTime() - heldSince > TimeUnit.MILLISECONDS.toNanos(500)) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static void awaitOrGiveUp(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.call() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
