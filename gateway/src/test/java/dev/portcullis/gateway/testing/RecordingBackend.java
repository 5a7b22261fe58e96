package dev.portcullis.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * A workspace port that answers nothing and records every byte it receives, to prove what the
 * gateway forwarded (or that it forwarded nothing).
 */
public final class RecordingBackend implements AutoCloseable {
    private final ServerSocket server;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closedConnections = new AtomicInteger();
    private final Thread acceptor;

    public RecordingBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        acceptor = Thread.ofVirtual().start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    /** Connections that the gateway closed (end of stream seen). */
    public int closedConnections() {
        return closedConnections.get();
    }

    public String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** What was received once a whole request head (up to its empty line) has arrived; fails after 5 s. */
    public String awaitRequestHead() {
        Awaitility.await("a whole request head at the workspace").atMost(Duration.ofSeconds(5))
                .until(() -> received().contains("\r\n\r\n"));
        return received();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().start(() -> record(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void record(Socket socket) {
        try (socket; InputStream in = socket.getInputStream()) {
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                synchronized (received) {
                    received.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            // a reset is an end too
        }
        closedConnections.incrementAndGet();
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
