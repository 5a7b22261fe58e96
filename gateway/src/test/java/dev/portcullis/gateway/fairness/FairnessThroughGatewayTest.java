package dev.portcullis.gateway.fairness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fairness through a real gateway on loopback: shares between workspaces by ratio (never by
 * absolute speed: the machine is shared), throttling in both directions and in tunnels shown by
 * lower bounds on time that only a throttle can cause, and a flood held back without buffering.
 */
class FairnessThroughGatewayTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path state;

    private GatewayFixture start(Bandwidth capacity, String... workspaces) throws Exception {
        List<WorkspaceRoute> routes = new ArrayList<>();
        for (String workspace : workspaces) {
            routes.add(new WorkspaceRoute(workspace, InetAddress.getByAddress(new byte[] {127, 0, 0, 1})));
        }
        return GatewayFixture.start(Transport.best(), state, config -> config
                .routes(RouteTable.of(routes))
                .fairness(FairnessSettings.of(capacity)));
    }

    private static HttpClient client(GatewayFixture gateway, HttpClient.Version version) {
        return HttpClient.newBuilder().sslContext(gateway.clientTls()).version(version)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Downloads {@code url} until closed, adding what arrives to {@code counter}. */
    private static InputStream download(HttpClient client, URI url, AtomicLong counter) throws Exception {
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        InputStream body = response.body();
        Thread.ofVirtual().start(() -> {
            byte[] buffer = new byte[64 * 1024];
            try {
                int n;
                while ((n = body.read(buffer)) > 0) {
                    counter.addAndGet(n);
                }
            } catch (IOException closed) {
                // the test closed the download
            }
        });
        return body;
    }

    @ParameterizedTest
    @EnumSource(value = HttpClient.Version.class)
    void aWorkspaceWithSixDownloadsGetsAboutWhatOneWithOneDownloadGets(HttpClient.Version version) throws Exception {
        Bandwidth capacity = Bandwidth.bytesPerSecond(8_000_000);
        try (GatewayFixture gateway = start(capacity, "heavy", "light")) {
            HttpClient client = client(gateway, version);
            AtomicLong heavy = new AtomicLong();
            AtomicLong light = new AtomicLong();
            List<InputStream> downloads = new ArrayList<>();
            String endless = "/bytes?n=" + (1L << 40);
            for (int i = 0; i < 6; i++) {
                downloads.add(download(client, gateway.url(gateway.workspacePort(), "heavy", endless), heavy));
            }
            downloads.add(download(client, gateway.url(gateway.workspacePort(), "light", endless), light));
            Thread.sleep(500); // every download under way, the first bursts spent
            long heavyBefore = heavy.get();
            long lightBefore = light.get();
            long startNanos = System.nanoTime();
            Thread.sleep(3000);
            long heavyBytes = heavy.get() - heavyBefore;
            long lightBytes = light.get() - lightBefore;
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            for (InputStream download : downloads) {
                download.close();
            }

            // Plain TCP sharing would give the light workspace about 1/6 of the heavy one's.
            assertThat((double) lightBytes / heavyBytes).as("light/heavy bytes (%d/%d)", lightBytes, heavyBytes)
                    .isBetween(0.6, 1.6);
            assertThat((heavyBytes + lightBytes) / seconds).as("both together stay within the capacity")
                    .isLessThan(capacity.bytesPerSecond() * 1.3);
        }
    }

    @Test
    void aDownloadIsHeldToTheCapacityAndArrivesWhole() throws Exception {
        int size = 3 * 1024 * 1024;
        try (GatewayFixture gateway = start(Bandwidth.bytesPerSecond(1_000_000), "ws1")) {
            long startNanos = System.nanoTime();
            HttpResponse<InputStream> response = client(gateway, HttpClient.Version.HTTP_1_1).send(
                    HttpRequest.newBuilder(gateway.url(gateway.workspacePort(), "ws1", "/bytes?n=" + size))
                            .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofInputStream());
            long index = 0;
            try (InputStream body = response.body()) {
                int b;
                while ((b = body.read()) >= 0) {
                    assertThat((byte) b).isEqualTo(DemoWorkspaceApp.patternByte(index++));
                }
            }
            double seconds = (System.nanoTime() - startNanos) / 1e9;

            assertThat(index).isEqualTo(size);
            // 3 MiB at 1 MB/s is 3.1 s; unthrottled it takes milliseconds. Half the time proves the throttle.
            assertThat(seconds).isGreaterThan(1.5);
        }
    }

    @ParameterizedTest
    @EnumSource(value = HttpClient.Version.class)
    void anUploadIsHeldBackOnTheClientSide(HttpClient.Version version) throws Exception {
        int size = 3 * 1024 * 1024;
        try (CountingBackend backend = new CountingBackend(size);
             GatewayFixture gateway = start(Bandwidth.bytesPerSecond(1_000_000), "ws1")) {
            byte[] body = new byte[size];
            new Random(3).nextBytes(body);
            HttpResponse<String> response = client(gateway, version).send(
                    HttpRequest.newBuilder(gateway.url(backend.port(), "ws1", "/upload")).timeout(TIMEOUT)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(backend.bodyBytes.get()).isEqualTo(size);
            // The workspace saw the body arrive over at least half the 3.1 s the capacity allows.
            assertThat(backend.bodyNanos / 1e9).isGreaterThan(1.5);
        }
    }

    @Test
    void aWebSocketTunnelIsHeldToTheCapacityBothWays() throws Exception {
        int messages = 8;
        int messageSize = 192 * 1024;
        try (GatewayFixture gateway = start(Bandwidth.bytesPerSecond(1_000_000), "ws1")) {
            EchoCounter echo = new EchoCounter((long) messages * messageSize);
            WebSocket socket = client(gateway, HttpClient.Version.HTTP_1_1).newWebSocketBuilder()
                    .buildAsync(URI.create(gateway.url(gateway.workspacePort(), "ws1", "/echo").toString()
                            .replaceFirst("^https", "wss")), echo).get(20, TimeUnit.SECONDS);
            long startNanos = System.nanoTime();
            byte[] payload = new byte[messageSize];
            new Random(5).nextBytes(payload);
            for (int i = 0; i < messages; i++) {
                socket.sendBinary(ByteBuffer.wrap(payload), true).get(20, TimeUnit.SECONDS);
            }
            echo.allEchoed.get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            socket.abort();

            // 1.5 MiB each way, 3.1 MiB through the tunnel's two flows at 1 MB/s: 3.2 s; half proves both throttled.
            assertThat(seconds).isGreaterThan(1.6);
            String metrics = scrape(gateway);
            assertThat(metrics).contains("portcullis_fairness_throttled_seconds_total{workspace=\"ws1\"}");
        }
    }

    @Test
    void aFloodingWorkspaceIsNotReadAheadWhileThrottled() throws Exception {
        try (FloodingBackend flood = new FloodingBackend();
             GatewayFixture gateway = start(Bandwidth.bytesPerSecond(1_000_000), "ws1")) {
            AtomicLong received = new AtomicLong();
            InputStream download = download(client(gateway, HttpClient.Version.HTTP_1_1),
                    gateway.url(flood.port(), "ws1", "/flood"), received);
            Thread.sleep(1000);
            long gapEarly = flood.written.get() - received.get();
            Thread.sleep(2000);
            long gapLate = flood.written.get() - received.get();
            download.close();

            assertThat(received.get()).as("the client got data").isGreaterThan(1_000_000);
            // Whatever the workspace wrote and the client did not get sits in socket buffers or in the
            // gateway. Kernel buffers are bounded; a gateway that read ahead would let it grow with time.
            assertThat(gapLate).as("bytes between the workspace and the client after 3 s").isLessThan(16L << 20);
            assertThat(gapLate - gapEarly).as("growth of that gap from 1 s to 3 s").isLessThan(2L << 20);
        }
    }

    private static String scrape(GatewayFixture gateway) throws Exception {
        return gateway.scrapeMetrics();
    }

    /** Counts echoed binary bytes; completes when all came back. */
    private static final class EchoCounter implements WebSocket.Listener {
        final CompletableFuture<Void> allEchoed = new CompletableFuture<>();
        private final long expected;
        private long received;

        EchoCounter(long expected) {
            this.expected = expected;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            received += data.remaining();
            if (received >= expected) {
                allEchoed.complete(null);
            }
            webSocket.request(1);
            return null;
        }
    }

    /** A workspace port that reads a request with a body of known size, times the body, answers 200. */
    private static final class CountingBackend implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong bodyBytes = new AtomicLong();
        volatile long bodyNanos;

        CountingBackend(int expected) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
            Thread.ofVirtual().start(() -> {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream();
                     OutputStream out = socket.getOutputStream()) {
                    skipHead(in);
                    byte[] buffer = new byte[64 * 1024];
                    long start = 0;
                    while (bodyBytes.get() < expected) {
                        int n = in.read(buffer);
                        if (n < 0) {
                            return;
                        }
                        if (start == 0) {
                            start = System.nanoTime();
                        }
                        bodyBytes.addAndGet(n);
                    }
                    bodyNanos = System.nanoTime() - start;
                    out.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.read(); // until the gateway is done with the connection
                } catch (IOException e) {
                    // the test ends
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A workspace port that answers one request with a huge body, written as fast as the socket takes it. */
    private static final class FloodingBackend implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong written = new AtomicLong();

        FloodingBackend() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
            Thread.ofVirtual().start(() -> {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream();
                     OutputStream out = socket.getOutputStream()) {
                    skipHead(in);
                    out.write("HTTP/1.1 200 OK\r\ncontent-length: 100000000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[16 * 1024];
                    while (true) {
                        out.write(chunk); // blocks once the socket buffers are full: that is the backpressure
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the gateway closed the connection
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** Reads up to the blank line that ends a request head. */
    private static void skipHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the head");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }
}
