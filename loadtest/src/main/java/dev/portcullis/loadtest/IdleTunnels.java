package dev.portcullis.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Opens {@code --tunnels} WebSocket tunnels through the gateway to the demo app's {@code /echo},
 * leaves them idle, and reports what each costs the gateway: heap after a full GC (jcmd GC.heap_info)
 * and resident memory (VmRSS), before and after, divided by the tunnels opened.
 *
 * <p>First {@code --warmup} tunnels (default 1000) are opened and closed: the JIT compiles the
 * tunnel's code and the allocators take their first chunks on them, and that one-time cost would
 * otherwise be divided among the measured tunnels.
 *
 * <p>Bounded: opening stops after {@code --open-seconds} (default 240), whatever has been reached.
 */
public final class IdleTunnels {
    private static final byte[] PING = "ping".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        int port = Integer.parseInt(args.get("port"));
        String host = args.get("host");
        int wanted = args.getInt("tunnels", 2000);
        long pid = Long.parseLong(args.get("gateway-pid"));
        String jcmd = args.get("jcmd");
        long started = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(args.getInt("open-seconds", 240));
        SSLSocketFactory tls = TrustedCa.sslContext(Path.of(args.get("ca"))).getSocketFactory();
        byte[] upgrade = ("GET /echo HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);

        OpeningTimes times = new OpeningTimes();
        warmUp(args.getInt("warmup", 1000), tls, port, upgrade, times, deadline);
        GatewayMemory.Snapshot before = GatewayMemory.measure(pid, jcmd);
        List<Socket> tunnels = new ArrayList<>();
        String stoppedBecause = "all opened";
        try {
            while (tunnels.size() < wanted) {
                if (System.nanoTime() > deadline) {
                    stoppedBecause = "time limit";
                    break;
                }
                try {
                    tunnels.add(open(tls, port, upgrade, times));
                } catch (IOException e) {
                    stoppedBecause = "tunnel " + (tunnels.size() + 1) + " failed: " + e.getMessage();
                    break;
                }
                if (tunnels.size() % 1000 == 0) {
                    System.err.printf("ws-idle: %d tunnels open after %.1f s (last 1000: %s)%n", tunnels.size(),
                            (System.nanoTime() - started) / 1e9, times.summarizeAndReset());
                }
            }
            if (tunnels.isEmpty()) {
                throw new IOException("no tunnel could be opened: " + stoppedBecause);
            }
            echo(tunnels.get(0));
            echo(tunnels.get(tunnels.size() - 1));
            Thread.sleep(2000);
            GatewayMemory.Snapshot after = GatewayMemory.measure(pid, jcmd);
            report(args, wanted, tunnels.size(), stoppedBecause, before, after);
        } finally {
            for (Socket tunnel : tunnels) {
                tunnel.close();
            }
        }
    }

    private static void warmUp(int count, SSLSocketFactory tls, int port, byte[] upgrade, OpeningTimes times,
                               long deadline) throws IOException, InterruptedException {
        List<Socket> warming = new ArrayList<>();
        try {
            while (warming.size() < count && System.nanoTime() < deadline) {
                warming.add(open(tls, port, upgrade, times));
            }
        } finally {
            for (Socket tunnel : warming) {
                tunnel.close();
            }
        }
        System.err.printf("ws-idle: warm-up, %d tunnels opened and closed (%s)%n", warming.size(), times.summarizeAndReset());
        Thread.sleep(2000); // the gateway sees every close before the baseline is taken
    }

    private static Socket open(SSLSocketFactory tls, int port, byte[] upgrade, OpeningTimes times) throws IOException {
        Socket plain = new Socket();
        try {
            long start = System.nanoTime();
            // Without it, Nagle holds the upgrade request back until the gateway acknowledges the
            // client's TLS Finished, which Linux delays by up to 40 ms: 40 ms per tunnel, all client-side.
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            long connected = System.nanoTime();
            SSLSocket socket = (SSLSocket) tls.createSocket(plain, "127.0.0.1", port, true);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            long handshaken = System.nanoTime();
            socket.getOutputStream().write(upgrade);
            socket.getOutputStream().flush();
            String head = readHead(socket.getInputStream());
            times.add(connected - start, handshaken - connected, System.nanoTime() - handshaken);
            if (!head.startsWith("HTTP/1.1 101")) {
                throw new IOException("upgrade answered '" + head.lines().findFirst().orElse("") + "' (expected: 101)");
            }
            return socket;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 16 * 1024 && (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n"))) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed during the upgrade");
            }
            head.append((char) c);
        }
        return head.toString();
    }

    /** A masked text frame out, the same text back: the tunnel really relays. */
    private static void echo(Socket tunnel) throws IOException {
        byte[] mask = {1, 2, 3, 4};
        byte[] frame = new byte[6 + PING.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | PING.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < PING.length; i++) {
            frame[6 + i] = (byte) (PING[i] ^ mask[i % 4]);
        }
        OutputStream out = tunnel.getOutputStream();
        out.write(frame);
        out.flush();
        byte[] answer = tunnel.getInputStream().readNBytes(2 + PING.length);
        if (answer.length != 2 + PING.length || answer[0] != (byte) 0x81
                || !Arrays.equals(Arrays.copyOfRange(answer, 2, answer.length), PING)) {
            throw new IOException("the tunnel did not echo: " + Arrays.toString(answer));
        }
    }

    private static void report(Args args, int wanted, int opened, String stoppedBecause, GatewayMemory.Snapshot before,
                               GatewayMemory.Snapshot after) throws IOException {
        String out = args.get("out");
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scenario", "ws-idle");
        result.putAll(args.meta());
        result.put("tunnels_wanted", wanted);
        result.put("tunnels_open", opened);
        result.put("stopped_because", stoppedBecause);
        result.put("before", before.sizes());
        result.put("after", after.sizes());
        Map<String, Double> perTunnel = new LinkedHashMap<>();
        for (String key : before.sizes().keySet()) {
            perTunnel.put(key, perTunnel(after.size(key) - before.size(key), opened));
        }
        // What a tunnel holds: the heap it uses, plus resident memory outside the Java heap. The heap's
        // own resident pages also grow when garbage first touches young-generation pages, once per process.
        double nativeKib = perTunnel(after.size("rss_kib") - after.size("rss_java_heap_kib")
                - before.size("rss_kib") + before.size("rss_java_heap_kib"), opened);
        perTunnel.put("rss_outside_java_heap_kib", nativeKib);
        perTunnel.put("heap_used_plus_native_kib", Math.round((perTunnel.get("heap_used_kib") + nativeKib) * 100) / 100.0);
        result.put("per_tunnel", perTunnel);
        result.put("heap_bytes_per_tunnel_by_class", MemoryBreakdown.classes(before.classes(), after.classes(), opened));
        if (!after.nmtCommittedKib().isEmpty()) {
            result.put("native_kib_per_tunnel_by_category",
                    MemoryBreakdown.nativeCategories(before.nmtCommittedKib(), after.nmtCommittedKib(), opened));
        }
        Files.createDirectories(Path.of(out).toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(out).toFile(), result);
        System.out.printf("ws-idle: %d idle tunnels (%s); gateway heap after GC %d -> %d KiB, RSS %d -> %d KiB"
                        + " (after a native-heap trim %d -> %d KiB); per tunnel: heap %.2f KiB, RSS %.2f KiB"
                        + " (of it Java heap %.2f KiB), RSS after trim %.2f KiB, fds %.2f; heap used + native %.2f KiB"
                        + "%nresults: %s%n", opened,
                stoppedBecause, before.size("heap_used_kib"), after.size("heap_used_kib"), before.size("rss_kib"),
                after.size("rss_kib"), before.size("rss_trimmed_kib"), after.size("rss_trimmed_kib"),
                perTunnel.get("heap_used_kib"), perTunnel.get("rss_kib"), perTunnel.get("rss_java_heap_kib"),
                perTunnel.get("rss_trimmed_kib"), perTunnel.get("open_fds"), perTunnel.get("heap_used_plus_native_kib"), out);
    }

    static double perTunnel(double total, int tunnels) {
        return Math.round(total * 100.0 / tunnels) / 100.0;
    }
}
