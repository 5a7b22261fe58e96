package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHeads;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** Workspace connections are pooled per event loop and reused across client connections. */
@OnEveryTransport
class UpstreamPoolTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void requestsFromSeparateClientConnectionsShareOneWorkspaceConnection() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            for (int i = 0; i < 5; i++) {
                // A new client each time: a new TLS connection to the gateway.
                HttpResponse<String> response = gateway.httpClient().send(
                        HttpRequest.newBuilder(gateway.url("/missing")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(404);
            }

            assertThat(gateway.workspaceConnections()).isEqualTo(1);
        }
    }

    @Test
    void idempotentRequestOnAReusedConnectionThatClosesUnansweredIsRetriedOnceOnAFreshOne() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             OneAnswerPerConnection workspace = new OneAnswerPerConnection()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

            String first = get(gateway, host, "GET");
            String second = get(gateway, host, "GET");

            assertThat(first).startsWith("HTTP/1.1 200 ").endsWith("answer on connection 1");
            assertThat(second).as("retried on a new connection").startsWith("HTTP/1.1 200 ").endsWith("answer on connection 2");
        }
    }

    @Test
    void requestWithABodyIsNeverSentTwice() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             OneAnswerPerConnection workspace = new OneAnswerPerConnection()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            get(gateway, host, "GET");

            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                    "PUT /thing HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");

            assertThat(answer).startsWith("HTTP/1.1 502 ").contains("closed the connection before it answered");
            assertThat(workspace.connections()).isEqualTo(1);
        }
    }

    @Test
    void idleConnectionIsClosedByTheTimerAndTheNextBorrowOpensAFreshOne() throws Exception {
        EventLoopGroup group = transport.newEventLoopGroup(1, new DefaultThreadFactory("pool-eviction"));
        try (RecordingBackend workspace = new RecordingBackend()) {
            EventLoop loop = group.next();
            UpstreamPool pool = new UpstreamPools(transport.socketChannelClass(), Duration.ofSeconds(2),
                    Duration.ofMillis(300)).forEventLoop(loop);
            UpstreamPool.Key key = new UpstreamPool.Key("ws42",
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), workspace.port()), false);
            Channel first = onLoop(loop, () -> pool.connect(key, "localhost")).sync().channel();
            onLoop(loop, () -> {
                pool.release(first);
                return null;
            });

            // Nothing but the pool's timer closes it: no request, no response, the workspace stays silent.
            waitUntil(() -> workspace.closedConnections() == 1, "the workspace to see the idle connection closed");
            Channel idle = onLoop(loop, () -> pool.takeIdle(key));
            Channel fresh = onLoop(loop, () -> pool.connect(key, "localhost")).sync().channel();
            waitUntil(() -> workspace.connections() == 2, "the workspace to accept a second connection");

            assertThat(first.isOpen()).isFalse();
            assertThat(idle).as("the evicted connection is not handed out").isNull();
            assertThat(fresh.isActive()).isTrue();
            assertThat(workspace.closedConnections()).as("the fresh connection stays open").isEqualTo(1);
            fresh.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void anIdleConnectionIsNeverHandedToAnotherWorkspaceAtTheSameAddress() throws Exception {
        EventLoopGroup group = transport.newEventLoopGroup(1, new DefaultThreadFactory("pool-per-workspace"));
        try (RecordingBackend workspace = new RecordingBackend()) {
            EventLoop loop = group.next();
            UpstreamPool pool = new UpstreamPools(transport.socketChannelClass(), Duration.ofSeconds(2),
                    Duration.ofSeconds(30)).forEventLoop(loop);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), workspace.port());
            UpstreamPool.Key before = new UpstreamPool.Key("ws-before", address, false);
            Channel opened = onLoop(loop, () -> pool.connect(before, "localhost")).sync().channel();
            onLoop(loop, () -> {
                pool.release(opened);
                return null;
            });

            Channel forAnother = onLoop(loop, () -> pool.takeIdle(new UpstreamPool.Key("ws-after", address, false)));
            Channel overTls = onLoop(loop, () -> pool.takeIdle(new UpstreamPool.Key("ws-before", address, true)));
            Channel forItsOwn = onLoop(loop, () -> pool.takeIdle(before));

            assertThat(forAnother).as("the address's next workspace gets no connection opened for the one before").isNull();
            assertThat(overTls).as("a plain connection is not reused for TLS").isNull();
            assertThat(forItsOwn).isSameAs(opened);
            opened.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static <T> T onLoop(EventLoop loop, Callable<T> work) throws Exception {
        return loop.submit(work).get(10, TimeUnit.SECONDS);
    }

    /** A bounded wait for something the test then asserts; ten seconds is far beyond the 300 ms timer. */
    private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static String get(GatewayFixture gateway, String host, String method) throws Exception {
        return RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                method + " / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    }

    /**
     * A workspace port that answers the first request on each connection and closes the connection
     * when a second request arrives on it: the race a pooled connection can lose.
     */
    private static final class OneAnswerPerConnection implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        private final AtomicInteger connections = new AtomicInteger();

        OneAnswerPerConnection() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        int number = connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(socket, number));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        private static void serve(Socket socket, int number) {
            try (socket) {
                InputStream in = socket.getInputStream();
                RawHeads.read(in);
                String body = "answer on connection " + number;
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                RawHeads.read(in); // the next request: closed unanswered
            } catch (IOException e) {
                // the gateway closed first
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
