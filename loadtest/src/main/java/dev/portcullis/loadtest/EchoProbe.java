package dev.portcullis.loadtest;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLSocketFactory;
import org.HdrHistogram.Histogram;

/**
 * Small-message latency in a WebSocket tunnel, open loop: a message of {@code size} bytes every
 * {@code 1/rate} seconds whether or not earlier ones came back, each one's latency taken from its
 * intended send time (so a stall counts for every message it delayed, no coordinated omission).
 * What a developer's keystrokes in a terminal tunnel would see.
 */
final class EchoProbe implements AutoCloseable {
    private final Socket socket;
    private final long startNanos;
    private final long periodNanos;
    private final LongFunction<Histogram> sorter;
    private final int messages;
    private final Histogram latency = newHistogram();
    private volatile boolean stopping;
    private volatile int echoed;
    private final Thread sender;
    private final Thread receiver;

    /**
     * @param warmupSeconds messages sent in this first part are not recorded
     * @param seconds       how long to send, warm-up included
     */
    EchoProbe(SSLSocketFactory tls, int gatewayPort, String host, int rate, int size, double warmupSeconds,
              double seconds) throws IOException {
        this(tls, gatewayPort, host, rate, size, seconds, null, (long) (warmupSeconds * 1e9));
    }

    /**
     * A probe whose latencies go where {@code sorter} says, by the message's intended send time in
     * nanoseconds since {@link #startNanos()} (null: not recorded).
     */
    EchoProbe(SSLSocketFactory tls, int gatewayPort, String host, int rate, int size, double seconds,
              LongFunction<Histogram> sorter) throws IOException {
        this(tls, gatewayPort, host, rate, size, seconds, sorter, 0);
    }

    private EchoProbe(SSLSocketFactory tls, int gatewayPort, String host, int rate, int size, double seconds,
                      LongFunction<Histogram> sorter, long recordFromNanos) throws IOException {
        socket = tls.createSocket("127.0.0.1", gatewayPort);
        socket.setTcpNoDelay(true);
        OutputStream out = socket.getOutputStream();
        out.write(("GET /echo HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        if (BulkDownloads.HttpHead.read(in).status() != 101) {
            throw new IOException("no WebSocket upgrade from " + host);
        }
        periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        messages = (int) (seconds * rate);
        startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        this.sorter = sorter != null ? sorter : sinceStart -> sinceStart >= recordFromNanos ? latency : null;
        byte[] frame = maskedBinaryFrame(size);
        sender = Thread.ofPlatform().name("probe-send-" + host).start(() -> send(out, frame));
        receiver = Thread.ofPlatform().name("probe-receive-" + host).start(() -> receive(in, size));
    }

    /** A client frame (masked with a zero key, which RFC 6455 allows) whose first 4 payload bytes carry the sequence number. */
    private static byte[] maskedBinaryFrame(int size) {
        if (size < 4 || size > 125) {
            throw new IllegalArgumentException("size: " + size + " (expected: 4-125 bytes, one small frame)");
        }
        ByteBuffer frame = ByteBuffer.allocate(2 + 4 + size);
        frame.put((byte) 0x82).put((byte) (0x80 | size)).putInt(0);
        return frame.array();
    }

    private void send(OutputStream out, byte[] frame) {
        try {
            for (int i = 0; i < messages && !stopping; i++) {
                long intended = startNanos + i * periodNanos;
                long wait;
                while ((wait = intended - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                ByteBuffer.wrap(frame).putInt(6, i); // payload starts after the 2-byte header and the mask
                out.write(frame);
                out.flush();
            }
        } catch (IOException e) {
            if (!stopping) {
                System.err.println("probe send failed: " + e.getMessage());
            }
        }
    }

    private void receive(DataInputStream in, int size) {
        byte[] payload = new byte[size];
        try {
            while (!stopping && echoed < messages) {
                int opcode = in.readUnsignedByte() & 0x0f;
                int length = in.readUnsignedByte() & 0x7f;
                if (length != size || opcode != 0x2) {
                    throw new IOException("unexpected frame: opcode " + opcode + ", length " + length);
                }
                in.readFully(payload);
                long now = System.nanoTime();
                int sequence = ByteBuffer.wrap(payload).getInt(0);
                long intended = startNanos + sequence * periodNanos;
                Histogram target = sorter.apply(intended - startNanos);
                if (target != null) {
                    target.recordValue(Math.max(0, now - intended));
                }
                echoed++;
            }
        } catch (IOException e) {
            if (!stopping) {
                System.err.println("probe receive failed: " + e.getMessage());
            }
        }
    }

    /** Waits for the last message (at most {@code graceMillis} after its send time), then stops. */
    Histogram finish(long graceMillis) throws InterruptedException {
        sender.join();
        receiver.join(graceMillis);
        close();
        return latency;
    }

    static Histogram newHistogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    }

    /** When the first message is (or was) sent, {@link System#nanoTime()} based. */
    long startNanos() {
        return startNanos;
    }

    int lost() {
        return messages - echoed;
    }

    @Override
    public void close() {
        stopping = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
