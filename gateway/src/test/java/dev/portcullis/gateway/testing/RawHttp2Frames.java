package dev.portcullis.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * HTTP/2 written frame by frame over TLS (ALPN h2), for floods no HTTP/2 library would send:
 * thousands of CONTINUATION or empty DATA frames. Frame layout per RFC 9113 §4.1.
 */
public final class RawHttp2Frames implements AutoCloseable {
    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int SETTINGS = 0x4;
    public static final int WINDOW_UPDATE = 0x8;
    public static final int CONTINUATION = 0x9;
    public static final int END_STREAM = 0x1;
    public static final int END_HEADERS = 0x4;

    private final SSLSocket socket;
    private final OutputStream out;

    public RawHttp2Frames(SSLContext tls, int port, String serverName) throws IOException {
        this(tls, port, serverName, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    }

    /** A connection from {@code local} (127.0.0.2, say: another client address on the loopback network). */
    public RawHttp2Frames(SSLContext tls, int port, String serverName, InetAddress local) throws IOException {
        socket = (SSLSocket) tls.getSocketFactory().createSocket(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port,
                local, 0);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        parameters.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        if (!"h2".equals(socket.getApplicationProtocol())) {
            throw new IOException("the gateway did not choose h2: " + socket.getApplicationProtocol());
        }
        out = socket.getOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(SETTINGS, 0, 0, new byte[0]);
        out.flush();
    }

    /**
     * A request head as an HPACK block: GET, https, / from the static table, and :authority as a
     * literal without indexing (RFC 7541 §6.2.2).
     */
    public static byte[] getRequestBlock(String authority) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(0x82); // :method GET
        block.write(0x87); // :scheme https
        block.write(0x84); // :path /
        byte[] value = authority.getBytes(StandardCharsets.US_ASCII);
        block.write(0x01); // literal without indexing, name = static index 1 (:authority)
        block.write(value.length);
        block.writeBytes(value);
        return block.toByteArray();
    }

    public void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        byte[] header = {
                (byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                (byte) type, (byte) flags,
                (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream};
        out.write(header);
        out.write(payload);
    }

    /** Sends the frames written so far. */
    public void flush() throws IOException {
        out.flush();
    }

    /**
     * Sends {@code count} copies of a frame, flushing now and then; returns how many went out
     * before the gateway closed the connection (all of them when it never did).
     */
    public int flood(int type, int flags, int stream, byte[] payload, int count) {
        for (int i = 0; i < count; i++) {
            try {
                frame(type, flags, stream, payload);
                if (i % 100 == 99) {
                    out.flush();
                }
            } catch (IOException closed) {
                return i;
            }
        }
        try {
            out.flush();
        } catch (IOException closed) {
            return count;
        }
        return count;
    }

    /**
     * Reads and drops frames until the gateway ends {@code streamId} (a HEADERS or DATA frame with
     * END_STREAM on it), so a test knows the response is complete before it goes on.
     */
    public void readUntilEndOf(int streamId) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        while (true) {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            in.skipNBytes(length);
            if (stream == streamId && (type == HEADERS || type == DATA) && (flags & END_STREAM) != 0) {
                return;
            }
        }
    }

    /** Opens the window of {@code stream} (0: the connection's) by {@code increment} bytes and flushes. */
    public void windowUpdate(int stream, int increment) throws IOException {
        frame(WINDOW_UPDATE, 0, stream, ByteBuffer.allocate(4).putInt(increment).array());
        out.flush();
    }

    /**
     * Reads frames until the gateway ends {@code streamId} and returns its DATA payload bytes;
     * {@code eachDataFrame} sees each DATA frame's payload of that stream, in order.
     */
    public long dataBytesUntilEndOf(int streamId, Consumer<byte[]> eachDataFrame) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        long count = 0;
        while (true) {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            byte[] payload = in.readNBytes(length);
            if (stream == streamId && type == DATA) {
                count += length;
                eachDataFrame.accept(payload);
            }
            if (stream == streamId && (type == HEADERS || type == DATA) && (flags & END_STREAM) != 0) {
                return count;
            }
        }
    }

    /** Reads until the gateway closes; returns whether a GOAWAY frame arrived before that. */
    public boolean closedWithGoAway() throws IOException {
        return goAwayBeforeClose() != null;
    }

    /**
     * Reads frames for {@code millis} and counts the DATA payload bytes (padding included) of
     * {@code streamId}, never sending WINDOW_UPDATE: the client's windows stay as they were.
     */
    public long dataBytesWithin(int streamId, long millis) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        long deadline = System.nanoTime() + millis * 1_000_000;
        long count = 0;
        int timeout = socket.getSoTimeout();
        try {
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                int length;
                try {
                    length = in.readUnsignedByte() << 16 | in.readUnsignedShort();
                } catch (SocketTimeoutException quiet) {
                    break;
                }
                int type = in.readUnsignedByte();
                in.readUnsignedByte(); // flags
                int stream = in.readInt() & 0x7fffffff;
                in.skipNBytes(length);
                if (type == DATA && stream == streamId) {
                    count += length;
                }
            }
        } finally {
            socket.setSoTimeout(timeout);
        }
        return count;
    }

    /** A GOAWAY frame's payload (RFC 9113 §6.8); the debug data is the sender's reason in words. */
    public record GoAway(int lastStreamId, long errorCode, String debugData) {}

    /**
     * Reads until the gateway closes; returns the first GOAWAY frame that arrived before that, or
     * null when none did or the connection was still open after the 10 s read timeout.
     */
    public GoAway goAwayBeforeClose() throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                received.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            return null; // still open after 10 s
        } catch (IOException reset) {
            // a reset after the GOAWAY is an end too
        }
        ByteBuffer bytes = ByteBuffer.wrap(received.toByteArray());
        for (int at = 0; at + 9 <= bytes.limit(); ) {
            int length = (bytes.get(at) & 0xff) << 16 | (bytes.get(at + 1) & 0xff) << 8 | (bytes.get(at + 2) & 0xff);
            if (bytes.get(at + 3) == 0x7 && at + 9 + length <= bytes.limit() && length >= 8) {
                int payload = at + 9;
                return new GoAway(bytes.getInt(payload) & 0x7fffffff, bytes.getInt(payload + 4) & 0xffffffffL,
                        new String(received.toByteArray(), payload + 8, length - 8, StandardCharsets.UTF_8));
            }
            at += 9 + length;
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
