package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.transport.Transport;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The gateway's behaviour through real TLS sockets, once per transport. A transport this machine
 * lacks is skipped with the reason (see {@link GatewayFixture#start}).
 */
class GatewayProxyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path state;

    @ParameterizedTest
    @EnumSource(Transport.class)
    void getReachesTheWorkspaceWithForwardedHeaders(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpResponse<String> response = gateway.httpClient().send(
                    HttpRequest.newBuilder(gateway.url("/")).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains(DemoWorkspaceApp.PAGE_TITLE)
                    .contains("X-Forwarded-For: 127.0.0.1")
                    .contains("X-Forwarded-Proto: https")
                    .contains("Host: " + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void streamedPostOfSeveralMebibytesComesBackByteIdentical(Transport transport) throws Exception {
        byte[] body = new byte[6 * 1024 * 1024 + 123];
        new Random(42).nextBytes(body);
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            // An InputStream publisher has no known length, so the client streams it chunked.
            HttpRequest request = HttpRequest.newBuilder(gateway.url("/echo")).timeout(TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build();
            HttpResponse<byte[]> response = gateway.httpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(sha256(response.body())).isEqualTo(sha256(body));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void largeDownloadArrivesByteIdentical(Transport transport) throws Exception {
        int size = 24 * 1024 * 1024;
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpResponse<InputStream> response = gateway.httpClient().send(
                    HttpRequest.newBuilder(gateway.url("/bytes?n=" + size)).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofInputStream());

            assertThat(response.statusCode()).isEqualTo(200);
            long index = 0;
            try (InputStream in = response.body()) {
                byte[] buffer = new byte[64 * 1024];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    for (int i = 0; i < n; i++, index++) {
                        if (buffer[i] != DemoWorkspaceApp.patternByte(index)) {
                            throw new AssertionError("byte " + index + " differs");
                        }
                    }
                }
            }
            assertThat(index).isEqualTo(size);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void keepAliveConnectionServesSeveralRequestsInTurn(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpClient client = gateway.httpClient();
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(gateway.url("/missing-" + i))
                        .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("answer of the workspace itself").isEqualTo(404);
                assertThat(response.body()).contains("no such page in the demo workspace");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void webSocketEchoRoundTripsTextAndBinaryFrames(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            MessageCollector collector = new MessageCollector();
            WebSocket socket = gateway.httpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                    .buildAsync(URI.create(gateway.url("/echo").toString().replaceFirst("^https", "wss")), collector)
                    .get(20, TimeUnit.SECONDS);

            socket.sendText("hello through the tunnel", true).get(20, TimeUnit.SECONDS);
            assertThat(collector.next()).isEqualTo("text:hello through the tunnel");

            byte[] binary = new byte[300 * 1024];
            new Random(7).nextBytes(binary);
            socket.sendBinary(ByteBuffer.wrap(binary), true).get(20, TimeUnit.SECONDS);
            assertThat(collector.next()).isEqualTo("binary:" + sha256(binary));

            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(20, TimeUnit.SECONDS);
            assertThat(collector.next()).isEqualTo("close:" + WebSocket.NORMAL_CLOSURE);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void unknownWorkspaceIs404(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpResponse<String> response = gateway.httpClient().send(
                    HttpRequest.newBuilder(gateway.url(3000, "nosuchworkspace", "/")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(response.body()).contains("\"error\":\"unknown-workspace\"").contains("nosuchworkspace");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void stoppedWorkspaceIs503WithRetryAfter(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpResponse<String> response = gateway.httpClient().send(
                    HttpRequest.newBuilder(gateway.url(3000, GatewayFixture.STOPPED_WORKSPACE, "/")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("retry-after")).hasValue("10");
            assertThat(response.body()).contains("\"error\":\"workspace-not-running\"");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void portNobodyListensOnIs502ForBrowsersAsAPage(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            int closedPort = GatewayFixture.unusedPort();
            HttpResponse<String> response = gateway.httpClient().send(
                    HttpRequest.newBuilder(gateway.url(closedPort, GatewayFixture.WORKSPACE, "/"))
                            .header("Accept", "text/html,application/xhtml+xml").timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
            assertThat(response.body()).contains("Port " + closedPort + " of workspace &#39;demo&#39; is not served");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void malformedHostIs400AndTheConnectionCloses(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(),
                    gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE),
                    "GET / HTTP/1.1\r\nHost: demo_workspace!.ws.localhost\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 400 ").contains("\"error\":\"malformed-host\"");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void hostWithoutPortPrefixIs400(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), "demo.ws.localhost",
                    "GET / HTTP/1.1\r\nHost: demo.ws.localhost\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 400 ").contains("expected: <port>-<workspaceId>.ws.localhost");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void hostUnderAnotherDomainIs421(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), "3000-demo.ws.localhost",
                    "GET / HTTP/1.1\r\nHost: 3000-demo.example.org\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 421 ").contains("\"error\":\"not-served-here\"");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void requestWithoutHostIs400(Transport transport) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), "3000-demo.ws.localhost",
                    "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 400 ");
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Collects whole WebSocket messages as {@code text:...}, {@code binary:<sha256>} or {@code close:<code>}. */
    private static final class MessageCollector implements WebSocket.Listener {
        private final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        String next() throws InterruptedException {
            String message = messages.poll(20, TimeUnit.SECONDS);
            assertThat(message).as("a WebSocket message within 20 s").isNotNull();
            return message;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add("text:" + text);
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            if (last) {
                try {
                    messages.add("binary:" + sha256(binary.toByteArray()));
                } catch (Exception e) {
                    messages.add("error:" + e);
                }
                binary.reset();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            messages.add("close:" + statusCode);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            messages.add("error:" + error);
        }
    }
}
