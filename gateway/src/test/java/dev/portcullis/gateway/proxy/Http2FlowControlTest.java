package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2Frames;
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
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * HTTP/2 flow control carries the backpressure from a client to the workspace: a client that
 * never opens its stream window gets exactly the initial window of a response, and the gateway
 * stops reading the workspace instead of buffering the rest of a 64 MiB response for it.
 */
@OnEveryTransport
class Http2FlowControlTest {
    private static final int INITIAL_STREAM_WINDOW = 65_535; // RFC 9113 §6.9.2; the client's SETTINGS leave it
    private static final long RESPONSE_BYTES = 64L << 20;
    // The most loopback socket buffers (the workspace's send, the gateway's receive) hold between them.
    private static final long SOCKET_BUFFERS_AT_MOST = 24L << 20;

    @Parameter
    Transport transport;

    @TempDir
    Path state;

    private GatewayFixture gateway;
    private ServerSocket workspace;
    private final AtomicLong workspaceWrote = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        gateway = GatewayFixture.start(transport, state);
        workspace = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::serveOneLargeResponse);
    }

    @AfterEach
    void stop() throws Exception {
        workspace.close();
        gateway.close();
    }

    @Test
    void aClientThatNeverOpensItsWindowHoldsTheWorkspaceInsteadOfFillingTheGateway() throws Exception {
        String authority = gateway.host(workspace.getLocalPort(), GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort();
        try (RawHttp2Frames client = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), "h2.ws.localhost")) {
            client.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS | RawHttp2Frames.END_STREAM, 1,
                    RawHttp2Frames.getRequestBlock(authority));
            client.flush();

            long received = client.dataBytesWithin(1, 5_000);

            assertThat(received).as("DATA bytes of the stream, never more than its window").isEqualTo(INITIAL_STREAM_WINDOW);
            Awaitility.await("the workspace held").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(new HeldSteady(workspaceWrote)::held);
            assertThat(workspaceWrote.get()).as("bytes the workspace could write of " + RESPONSE_BYTES)
                    .isGreaterThan(INITIAL_STREAM_WINDOW)
                    .isLessThan(SOCKET_BUFFERS_AT_MOST);
        }
    }

    /** True once the count stayed the same over two polls in a row. */
    private static final class HeldSteady {
        private final AtomicLong count;
        private long last = -1;

        HeldSteady(AtomicLong count) {
            this.count = count;
        }

        boolean held() {
            long now = count.get();
            boolean same = now == last;
            last = now;
            return same;
        }
    }

    /** The workspace: answers the first request with 64 MiB, writing for as long as it is let. */
    private void serveOneLargeResponse() {
        try (Socket socket = workspace.accept(); InputStream in = socket.getInputStream();
             OutputStream out = socket.getOutputStream()) {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                head.append((char) b);
            }
            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + RESPONSE_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[16 * 1024];
            for (long written = 0; written < RESPONSE_BYTES; written += chunk.length) {
                out.write(chunk);
                workspaceWrote.addAndGet(chunk.length);
            }
        } catch (IOException closed) {
            // the gateway or the test closed the connection: the count stands
        }
    }
}
