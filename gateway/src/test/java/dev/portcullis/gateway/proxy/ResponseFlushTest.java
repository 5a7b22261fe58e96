package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHeads;
import dev.portcullis.gateway.testing.RawHttp2Frames;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.ScriptedBackend;
import dev.portcullis.gateway.testing.TlsRecordRelay;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * The response path flushes once per read of the workspace, not once per part: a small response
 * whose head and body the workspace sent together reaches the client as one TLS record (two when
 * the head and the body were flushed apart). And no part is ever left written but unflushed: a
 * client that stops reading until the whole chain is held still gets every byte once it reads on.
 */
@OnEveryTransport
class ResponseFlushTest {
    private static final String SMALL_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void aSmallHttp1ResponseLeavesAsOneTlsRecord() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             ScriptedBackend workspace = new ScriptedBackend(SMALL_RESPONSE);
             TlsRecordRelay relay = new TlsRecordRelay(gateway.gatewayPort());
             SSLSocket client = RawHttps.open(gateway.clientTls(), relay.port(), "h1.ws.localhost")) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            assertThat(getOverKeepAlive(client, host)).endsWith("hello"); // the handshake and its tickets are behind us

            relay.resetCount();
            String second = getOverKeepAlive(client, host);

            assertThat(second).startsWith("HTTP/1.1 200").endsWith("hello");
            assertThat(relay.recordsToClient()).as("TLS records of a response whose head and body came in one read")
                    .isEqualTo(1);
        }
    }

    @Test
    void aSmallHttp2ResponseLeavesAsOneTlsRecord() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             ScriptedBackend workspace = new ScriptedBackend(SMALL_RESPONSE);
             TlsRecordRelay relay = new TlsRecordRelay(gateway.gatewayPort());
             RawHttp2Frames client = new RawHttp2Frames(gateway.clientTls(), relay.port(), "h2.ws.localhost")) {
            byte[] request = RawHttp2Frames.getRequestBlock(gateway.host(workspace.port(), GatewayFixture.WORKSPACE));
            client.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS | RawHttp2Frames.END_STREAM, 1, request);
            client.flush();
            client.readUntilEndOf(1); // the handshake, the settings and the tickets are behind us

            relay.resetCount();
            client.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS | RawHttp2Frames.END_STREAM, 3, request);
            client.flush();
            StringBuilder body = new StringBuilder();
            long bytes = client.dataBytesUntilEndOf(3, data -> body.append(new String(data, StandardCharsets.US_ASCII)));

            assertThat(bytes).isEqualTo(5);
            assertThat(body).hasToString("hello");
            assertThat(relay.recordsToClient()).as("TLS records of a stream's HEADERS and DATA that came in one read")
                    .isEqualTo(1);
        }
    }

    @Test
    void aClientThatStopsReadingGetsEveryByteOnceItReadsOn() throws Exception {
        long size = 32L << 20;
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             LargeResponse workspace = new LargeResponse(size);
             SSLSocket client = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), "h1.ws.localhost")) {
            OutputStream out = client.getOutputStream();
            out.write(("GET /large HTTP/1.1\r\nHost: " + gateway.host(workspace.port(), GatewayFixture.WORKSPACE)
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            workspace.awaitHeld(); // the client reads nothing: every buffer and write in between is full

            InputStream in = client.getInputStream();
            String head = RawHeads.read(in);
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: " + size);
            assertThat(LargeResponse.readAndCheck(in, size)).isEqualTo(size);
        }
    }

    @Test
    void aPausedHttp2StreamGetsEveryByteOnceItsWindowOpens() throws Exception {
        long size = 8L << 20;
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             LargeResponse workspace = new LargeResponse(size);
             RawHttp2Frames client = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), "h2.ws.localhost")) {
            client.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS | RawHttp2Frames.END_STREAM, 1,
                    RawHttp2Frames.getRequestBlock(gateway.host(workspace.port(), GatewayFixture.WORKSPACE)));
            client.flush();
            workspace.awaitHeld(); // the stream's window (64 KiB) is spent: the gateway stopped reading the workspace
            assertThat(workspace.written()).as("the workspace was held before the end").isLessThan(size);

            client.windowUpdate(1, (int) size);
            client.windowUpdate(0, (int) size);
            long[] expected = {0};
            boolean[] intact = {true};
            long received = client.dataBytesUntilEndOf(1, data -> {
                for (byte b : data) {
                    intact[0] &= b == LargeResponse.patternByte(expected[0]++);
                }
            });

            assertThat(received).isEqualTo(size);
            assertThat(intact[0]).as("every byte as the workspace sent it, in order").isTrue();
        }
    }

    private static String getOverKeepAlive(SSLSocket client, String host) throws IOException {
        OutputStream out = client.getOutputStream();
        out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = client.getInputStream();
        String head = RawHeads.read(in);
        return head + new String(in.readNBytes(5), StandardCharsets.US_ASCII);
    }

    /** A workspace port that answers one request with {@code size} bytes of a known pattern, counting what it could write. */
    private static final class LargeResponse implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final AtomicLong written = new AtomicLong();

        LargeResponse(long size) throws IOException {
            Thread.ofVirtual().start(() -> {
                try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
                    RawHeads.read(socket.getInputStream());
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = new byte[16 * 1024];
                    for (long at = 0; at < size; at += chunk.length) {
                        for (int i = 0; i < chunk.length; i++) {
                            chunk[i] = patternByte(at + i);
                        }
                        out.write(chunk, 0, (int) Math.min(chunk.length, size - at));
                        written.addAndGet(Math.min(chunk.length, size - at));
                    }
                } catch (IOException closed) {
                    // the gateway or the test closed the connection
                }
            });
        }

        static byte patternByte(long offset) {
            return (byte) (offset % 251);
        }

        int port() {
            return server.getLocalPort();
        }

        long written() {
            return written.get();
        }

        /** Waits until the workspace wrote the same count over two polls in a row: the chain is held (or done). */
        void awaitHeld() {
            long[] last = {-1};
            Awaitility.await("the workspace held").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
                    .until(() -> {
                        long now = written.get();
                        boolean same = now == last[0] && now > 0;
                        last[0] = now;
                        return same;
                    });
        }

        /** Reads {@code size} bytes, checking each against the pattern; returns how many were read and matched. */
        static long readAndCheck(InputStream in, long size) throws IOException {
            byte[] buffer = new byte[64 * 1024];
            long at = 0;
            while (at < size) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, size - at));
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++, at++) {
                    if (buffer[i] != patternByte(at)) {
                        throw new AssertionError("byte " + at + " is " + buffer[i] + ", expected " + patternByte(at));
                    }
                }
            }
            return at;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
