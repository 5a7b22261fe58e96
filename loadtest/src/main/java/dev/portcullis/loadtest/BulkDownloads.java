package dev.portcullis.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocketFactory;

/**
 * Backlogged downloads for one workspace: {@code connections} TLS connections to the gateway, each
 * fetching {@code path} again and again on keep-alive and counting every body byte, as fast as the
 * gateway hands them out. Stopped by closing the sockets.
 */
final class BulkDownloads implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean stopping;

    BulkDownloads(SSLSocketFactory tls, int gatewayPort, String host, String path, int connections) throws IOException {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < connections; i++) {
            Socket socket = tls.createSocket("127.0.0.1", gatewayPort);
            socket.setTcpNoDelay(true);
            sockets.add(socket);
            Thread.ofVirtual().name("bulk-" + host + "-" + i).start(() -> fetchForever(socket, request));
        }
    }

    long bytes() {
        return bytes.get();
    }

    long failures() {
        return failures.get();
    }

    private void fetchForever(Socket socket, byte[] request) {
        byte[] buffer = new byte[64 * 1024];
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (!stopping) {
                out.write(request);
                out.flush();
                long length = HttpHead.read(in).contentLength();
                while (length > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, length));
                    if (n < 0) {
                        throw new IOException("the connection closed mid-body");
                    }
                    bytes.addAndGet(n);
                    length -= n;
                }
            }
        } catch (IOException e) {
            if (!stopping) {
                failures.incrementAndGet();
                System.err.println("bulk download failed: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        stopping = true;
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** A response head as far as the downloads need it. */
    record HttpHead(int status, long contentLength) {
        static HttpHead read(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the connection closed before a response head");
                }
                head.append((char) b);
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String[] lines = head.toString().split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            long length = -1;
            for (String line : lines) {
                String lower = line.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring("content-length:".length()).trim());
                }
            }
            if (status != 200 && status != 101) {
                throw new IOException("status " + status + ": " + lines[0]);
            }
            return new HttpHead(status, length);
        }
    }
}
