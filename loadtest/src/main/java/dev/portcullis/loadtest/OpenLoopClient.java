package dev.portcullis.loadtest;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLSocketFactory;
import org.HdrHistogram.Histogram;

/**
 * An open-loop load generator in the manner of wrk2: a fixed schedule of GET requests at {@code --rate}
 * per second, served by {@code --connections} keep-alive connections, each latency measured from the
 * request's <em>scheduled</em> time, so a stall is charged to every request it delays (no coordinated
 * omission). Prints one line:
 * {@code OPEN_RESULT rate=.. achieved_rps=.. completed=.. all_completed=.. errors=.. p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..}.
 *
 * <p>Bounded in time: the schedule lasts {@code --warmup + --seconds}; a worker gives up on what is
 * left of it 5 s after the end, and a socket read times out after 10 s.
 */
public final class OpenLoopClient {
    private static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        URI url = URI.create(args.get("url"));
        int rate = args.getInt("rate", 2000);
        int warmup = args.getInt("warmup", 3);
        int seconds = args.getInt("seconds", 10);
        int connections = args.getInt("connections", 16);
        if (rate < 1 || seconds < 1 || connections < 1) {
            throw new IllegalArgumentException("--rate " + rate + " --seconds " + seconds + " --connections "
                    + connections + " (expected: all >= 1)");
        }
        SSLSocketFactory tls = url.getScheme().equals("https")
                ? TrustedCa.sslContext(Path.of(args.get("ca"))).getSocketFactory() : null;
        String host = args.get("host", url.getAuthority());
        StringBuilder extraHeaders = new StringBuilder();
        for (String header : args.all("header")) {
            extraHeaders.append(header).append("\r\n"); // e.g. the bearer token of the access-control target
        }
        byte[] request = ("GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: portcullis-open-loop"
                + "\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress address = new InetSocketAddress(url.getHost(), url.getPort());

        Schedule schedule = new Schedule(rate, warmup, seconds);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            workers.add(Thread.ofPlatform().name("open-loop-" + i).start(
                    () -> new Worker(address, tls, request, schedule).run()));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        Histogram h = schedule.histogram;
        System.out.printf("OPEN_RESULT rate=%d achieved_rps=%.0f completed=%d all_completed=%d errors=%d p50_us=%d p90_us=%d p99_us=%d"
                        + " p999_us=%d max_us=%d%n", rate, schedule.completed.get() / (double) seconds,
                schedule.completed.get(), schedule.completedWithWarmup.get(), schedule.errors.get(), micros(h, 50), micros(h, 90),
                micros(h, 99), micros(h, 99.9), h.getMaxValue() / 1000);
    }

    private static long micros(Histogram histogram, double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1000;
    }

    /** The shared plan: request i is due at start + i / rate; the first warmup·rate are not recorded. */
    static final class Schedule {
        final long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        final long interval;
        final long warmupRequests;
        final long total;
        final long giveUpAt;
        final AtomicLong next = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong completedWithWarmup = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);

        Schedule(int rate, int warmupSeconds, int seconds) {
            interval = TimeUnit.SECONDS.toNanos(1) / rate;
            warmupRequests = (long) rate * warmupSeconds;
            total = warmupRequests + (long) rate * seconds;
            giveUpAt = start + total * interval + TimeUnit.SECONDS.toNanos(5);
        }

        long dueTime(long index) {
            return start + index * interval;
        }

        void record(long index, long latencyNanos) {
            completedWithWarmup.incrementAndGet();
            if (index < warmupRequests) {
                return;
            }
            completed.incrementAndGet();
            synchronized (histogram) {
                histogram.recordValue(Math.min(latencyNanos, HIGHEST_TRACKABLE_NANOS));
            }
        }

        void fail(long index) {
            if (index >= warmupRequests) {
                errors.incrementAndGet();
            }
        }
    }

    /** One keep-alive connection taking the next due request of the schedule, one at a time. */
    private static final class Worker {
        private final InetSocketAddress address;
        private final SSLSocketFactory tls;
        private final byte[] request;
        private final Schedule schedule;
        private final byte[] buffer = new byte[16 * 1024];
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Worker(InetSocketAddress address, SSLSocketFactory tls, byte[] request, Schedule schedule) {
            this.address = address;
            this.tls = tls;
            this.request = request;
            this.schedule = schedule;
        }

        void run() {
            try {
                long index;
                while ((index = schedule.next.getAndIncrement()) < schedule.total) {
                    long due = schedule.dueTime(index);
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    if (System.nanoTime() > schedule.giveUpAt) {
                        schedule.fail(index);
                        continue;
                    }
                    try {
                        exchange();
                        schedule.record(index, System.nanoTime() - due);
                    } catch (IOException | RuntimeException e) {
                        schedule.fail(index);
                        close();
                    }
                }
            } finally {
                close();
            }
        }

        private void exchange() throws IOException {
            if (socket == null) {
                Socket plain = new Socket();
                plain.setTcpNoDelay(true);
                plain.connect(address, 5000);
                socket = tls == null ? plain : tls.createSocket(plain, address.getHostString(), address.getPort(), true);
                socket.setSoTimeout(READ_TIMEOUT_MILLIS);
                in = new BufferedInputStream(socket.getInputStream(), buffer.length);
                out = socket.getOutputStream();
            }
            out.write(request);
            out.flush();
            long length = HttpResponses.readHeadForLength(in);
            while (length > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, length));
                if (n < 0) {
                    throw new IOException("connection closed in the response body");
                }
                length -= n;
            }
        }

        private void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a connection that already failed
                }
            }
            socket = null;
        }
    }
}
