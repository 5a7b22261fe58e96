package dev.portcullis.store.etcd;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Real etcd members ({@code /usr/bin/etcd}, Debian's etcd-server) on free loopback ports with their
 * data in a temp folder. Members can be killed (SIGKILL, no clean shutdown) and started again on the
 * same ports and data, which is how the tests produce disconnects, restarts and leader loss. Clients
 * may be served over TLS ({@link #startWithTls}); members always talk to each other in plain HTTP.
 */
public final class EtcdCluster implements AutoCloseable {

    static final Path ETCD = Path.of(System.getenv().getOrDefault("PORTCULLIS_ETCD", "/usr/bin/etcd"));

    /**
     * How members serve clients over TLS: their certificate and key, and the CA that client
     * certificates must be signed by ({@code --client-cert-auth}). {@code probe} is what the cluster's
     * own health checks connect with; {@code null} for a certificate they cannot verify (a wrong name),
     * and then a member counts as started once it accepts connections.
     */
    public record ServerTls(Path certificateChain, Path privateKey, Path clientCa, SSLContext probe) {}

    private final Path dataRoot;
    private final List<Member> members = new ArrayList<>();
    private final ServerTls tls;
    private final HttpClient http;

    private record Member(String name, String clientScheme, int clientPort, int peerPort, Path dataDir, Path log,
                          Process[] process) {
        String clientUrl() {
            return clientScheme + "://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }
    }

    private EtcdCluster(int size, ServerTls tls) throws IOException {
        this.tls = tls;
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500));
        if (tls != null && tls.probe() != null) {
            http.sslContext(tls.probe());
        }
        this.http = http.build();
        dataRoot = Files.createTempDirectory("portcullis-etcd-");
        for (int i = 0; i < size; i++) {
            members.add(new Member("m" + i, tls == null ? "http" : "https", freePort(), freePort(), dataRoot.resolve("m" + i),
                    dataRoot.resolve("m" + i + ".log"), new Process[1]));
        }
    }

    /** Skips the calling test, saying what to install, when the etcd binary is missing. */
    public static void assumeEtcdInstalled() {
        assumeTrue(Files.isExecutable(ETCD), ETCD + " is missing: install Debian's etcd-server (apt-get install etcd-server);"
                + " .ci/run installs it, so these tests run in CI");
    }

    public static EtcdCluster start(int size) {
        return start(size, null);
    }

    /** Members that serve clients over TLS only and refuse a client without a certificate signed by the CA. */
    public static EtcdCluster startWithTls(int size, ServerTls tls) {
        return start(size, Objects.requireNonNull(tls, "tls"));
    }

    /**
     * A port picked free can be taken before etcd binds it (CI once: "bind: address already in use",
     * beside the compat suite): then the whole cluster starts again on other ports, up to three times.
     */
    private static EtcdCluster start(int size, ServerTls tls) {
        assumeEtcdInstalled();
        for (int attempt = 1; ; attempt++) {
            EtcdCluster cluster;
            try {
                cluster = new EtcdCluster(size, tls);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                for (int i = 0; i < size; i++) {
                    cluster.launch(i);
                }
                for (int i = 0; i < size; i++) {
                    cluster.awaitHealthy(i);
                }
                return cluster;
            } catch (IllegalStateException e) {
                cluster.close();
                if (attempt == 3 || e.getMessage() == null || !e.getMessage().contains("address already in use")) {
                    throw e;
                }
            }
        }
    }

    public List<String> endpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    public String endpoint(int member) {
        return members.get(member).clientUrl();
    }

    public int size() {
        return members.size();
    }

    /** SIGKILL: the member gets no chance to shut down cleanly. */
    public void kill(int member) {
        Process process = members.get(member).process()[0];
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts a killed member again on its ports and data. */
    public void restart(int member) {
        launch(member);
        awaitHealthy(member);
    }

    public boolean isRunning(int member) {
        Process process = members.get(member).process()[0];
        return process != null && process.isAlive();
    }

    /** The index of the current leader, asked from any running member's status endpoint. */
    public int leader() {
        for (int i = 0; i < members.size(); i++) {
            if (!isRunning(i)) {
                continue;
            }
            // /v3/maintenance/status is the grpc-gateway form of the Status call; its header names the member.
            String status = post(members.get(i).clientUrl() + "/v3/maintenance/status", "{}");
            String self = field(status, "member_id");
            String leader = field(status, "leader");
            if (self != null && self.equals(leader)) {
                return i;
            }
        }
        throw new IllegalStateException("no running member says it is the leader");
    }

    private static String field(String json, String name) {
        int at = json.indexOf('"' + name + "\":\"");
        if (at < 0) {
            return null;
        }
        int start = at + name.length() + 4;
        return json.substring(start, json.indexOf('"', start));
    }

    private String post(String url, String body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void launch(int index) {
        Member m = members.get(index);
        String initialCluster = members.stream().map(o -> o.name() + "=" + o.peerUrl()).collect(Collectors.joining(","));
        List<String> command = new ArrayList<>(List.of(ETCD.toString(),
                "--name", m.name(),
                "--data-dir", m.dataDir().toString(),
                "--listen-client-urls", m.clientUrl(),
                "--advertise-client-urls", m.clientUrl(),
                "--listen-peer-urls", m.peerUrl(),
                "--initial-advertise-peer-urls", m.peerUrl(),
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", "new",
                "--initial-cluster-token", "portcullis-test-" + dataRoot.getFileName(),
                // Short raft timers: a lost leader is replaced in about a second, and leases may be short.
                "--heartbeat-interval", "50",
                "--election-timeout", "500",
                "--logger", "zap",
                "--log-level", "warn"));
        if (tls != null) {
            command.addAll(List.of("--cert-file", tls.certificateChain().toString(), "--key-file", tls.privateKey().toString(),
                    "--trusted-ca-file", tls.clientCa().toString(), "--client-cert-auth"));
        }
        try {
            m.process()[0] = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log().toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + ETCD + ": " + e.getMessage(), e);
        }
    }

    private void awaitHealthy(int index) {
        Member m = members.get(index);
        try {
            Awaitility.await("etcd " + m.name() + " healthy").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> healthy(m));
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("etcd " + m.name() + " not healthy after 30 s: " + tail(m.log()), e);
        }
    }

    /** Whether {@code m} answers its health check (with client-certificate TLS: accepts connections). */
    private boolean healthy(Member m) throws InterruptedException {
        if (!m.process()[0].isAlive()) {
            throw new IllegalStateException("etcd " + m.name() + " exited: " + tail(m.log()));
        }
        if (tls != null && tls.probe() == null) {
            return accepts(m.clientPort());
        }
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"true\"");
        } catch (IOException e) {
            return false; // not listening yet
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A free loopback port below the kernel's range for outgoing connections, so no connection made
     * meanwhile (by anything on the machine) is given it before etcd binds it, also when a killed
     * member starts again on it; one from that range if none below is free.
     */
    private static int freePort() throws IOException {
        int below = ephemeralRangeStart();
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int tries = 0; tries < 50 && below > 11_000; tries++) {
            int port = random.nextInt(10_000, below);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // another one
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int ephemeralRangeStart() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768; // Linux's default
        }
    }

    @Override
    public void close() {
        IntStream.range(0, members.size()).forEach(this::kill);
        try (Stream<Path> files = Files.walk(dataRoot)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
