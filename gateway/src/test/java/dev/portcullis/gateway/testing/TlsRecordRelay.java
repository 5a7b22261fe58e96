package dev.portcullis.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of the gateway that counts the TLS records (RFC 8446 §5.1: a 5-byte header,
 * then its length in bytes) the gateway sends to the client: how many records, and so how many
 * separate flushes, a response took on a real connection. It relays one connection at a time, byte
 * for byte; hand-written because the point is to see the records as they cross the wire.
 */
public final class TlsRecordRelay implements AutoCloseable {
    private static final int HEADER_BYTES = 5;

    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    private final AtomicInteger recordsToClient = new AtomicInteger();

    public TlsRecordRelay(int gatewayPort) throws IOException {
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket gateway = new Socket(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), gatewayPort);
                    client.setTcpNoDelay(true);
                    gateway.setTcpNoDelay(true);
                    Thread.ofVirtual().start(() -> pipe(client, gateway, false));
                    Thread.ofVirtual().start(() -> pipe(gateway, client, true));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public int port() {
        return server.getLocalPort();
    }

    /** TLS records the gateway sent toward the client since the relay started (or since {@link #resetCount}). */
    public int recordsToClient() {
        return recordsToClient.get();
    }

    public void resetCount() {
        recordsToClient.set(0);
    }

    private void pipe(Socket from, Socket to, boolean countRecords) {
        byte[] header = new byte[HEADER_BYTES];
        int headerFilled = 0;
        int bodyLeft = 0;
        byte[] buffer = new byte[64 * 1024];
        try (from; to; InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (countRecords) {
                    for (int at = 0; at < n; ) {
                        if (bodyLeft > 0) {
                            int skip = Math.min(bodyLeft, n - at);
                            bodyLeft -= skip;
                            at += skip;
                            continue;
                        }
                        header[headerFilled++] = buffer[at++];
                        if (headerFilled == HEADER_BYTES) {
                            headerFilled = 0;
                            bodyLeft = (header[3] & 0xff) << 8 | (header[4] & 0xff);
                            recordsToClient.incrementAndGet();
                        }
                    }
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException closed) {
            // either side closed: the other is closed with it
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
