package dev.portcullis.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A workspace port that answers every request head with the same raw bytes, exactly as given:
 * for responses no well-behaved server would send. It closes each connection after answering.
 */
public final class ScriptedBackend implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    private final AtomicInteger connections = new AtomicInteger();

    public ScriptedBackend(String rawResponse) throws IOException {
        byte[] response = rawResponse.getBytes(StandardCharsets.ISO_8859_1);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> {
                        try (socket) {
                            RawHeads.read(socket.getInputStream());
                            socket.getOutputStream().write(response);
                            socket.getOutputStream().flush();
                            socket.shutdownOutput();
                            socket.getInputStream().readAllBytes();
                        } catch (IOException e) {
                            // the gateway closed first
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return connections.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
