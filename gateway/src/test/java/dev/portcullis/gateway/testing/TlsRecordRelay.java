package dev.portcullis.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of a TLS server (the gateway, or a workspace port that serves TLS) that
 * counts the TLS records (RFC 8446 §5.1: a 5-byte header, then its length in bytes) crossing it in
 * each direction: how many records, and so how many separate flushes, a response (or a request) took
 * on a real connection. It relays byte for byte; hand-written because the point is to see the
 * records as they cross the wire.
 */
public final class TlsRecordRelay implements AutoCloseable {
    private static final int HEADER_BYTES = 5;

    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    private final AtomicInteger recordsToClient = new AtomicInteger();
    private final AtomicInteger recordsFromClient = new AtomicInteger();

    /** @param gatewayPort the TLS server's port on 127.0.0.1 (the gateway's, or a workspace's) */
    public TlsRecordRelay(int gatewayPort) throws IOException {
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Socket gateway = new Socket(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), gatewayPort);
                    client.setTcpNoDelay(true);
                    gateway.setTcpNoDelay(true);
                    Thread.ofVirtual().start(() -> pipe(client, gateway, recordsFromClient));
                    Thread.ofVirtual().start(() -> pipe(gateway, client, recordsToClient));
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

    /** TLS records the relay's client (the gateway, in front of a workspace) sent since the relay started (or since {@link #resetCount}). */
    public int recordsFromClient() {
        return recordsFromClient.get();
    }

    public void resetCount() {
        recordsToClient.set(0);
        recordsFromClient.set(0);
    }

    private void pipe(Socket from, Socket to, AtomicInteger records) {
        byte[] header = new byte[HEADER_BYTES];
        int headerFilled = 0;
        int bodyLeft = 0;
        byte[] buffer = new byte[64 * 1024];
        try (from; to; InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
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
                        records.incrementAndGet();
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
