package dev.portcullis.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The descriptor exhaustion of issue 17, item 1, for real: a gateway runs in a child JVM under a low
 * {@code ulimit -n}, as the audited one ran under 20 000, and is attacked from 127.0.0.2.
 *
 * <ul>
 *   <li>HTTP/2 streams whose bodies never end take workspace connections until the descriptor budget
 *       reaches its reserve; an ordinary client at 127.0.0.1, opening a new connection per request,
 *       still completes its TLS handshake every time and gets an answer: {@code 200} or {@code 503}
 *       with {@code Retry-After}, never a failed handshake.</li>
 *   <li>With the budget set above what the process may open, accepting really fails with EMFILE:
 *       the accept loop pauses instead of spinning, the failure is logged once per interval with a
 *       count, and accepting resumes when descriptors are free again.</li>
 * </ul>
 */
class DescriptorExhaustionTest {
    private static final String SNI = "h2.ws.localhost";
    private static final int ORDINARY_REQUESTS = 50;

    @TempDir
    Path state;

    private DemoWorkspaceApp workspace;
    private DemoCertificateAuthority ca;
    private Process gateway;
    private Path gatewayLog;
    private int port;

    @BeforeEach
    void startWorkspace() throws Exception {
        workspace = DemoWorkspaceApp.start(ServerSockets.best(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ca = new DemoCertificateAuthority(state.resolve("tls"));
        ca.ensureServerCertificate(GatewayFixture.BASE_DOMAIN);
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.destroy();
            gateway.waitFor(10, TimeUnit.SECONDS);
            gateway.destroyForcibly();
        }
        workspace.close();
    }

    @Test
    void ordinaryClientGetsAnAnswerNotAFailedHandshakeWhileEndlessBodiesHoldWorkspaceConnections() throws Exception {
        startGateway(512, """
                  maxWorkspaceConnectionsPerClientConnection: 128
                  maxWorkspaceConnectionsPerPrincipal: 100000
                  maxWorkspaceConnectionsPerWorkspace: 100000
                """);
        long[] baseline = new long[ORDINARY_REQUESTS];
        int[] before = ordinaryRequests(baseline);

        List<RawHttp2> attack = new ArrayList<>();
        List<CompletableFuture<String>> streams = new ArrayList<>();
        try {
            InetAddress attacker = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
            for (int i = 0; i < 6; i++) {
                RawHttp2 connection = new RawHttp2(state.resolve("tls/ca.pem"), port, SNI, attacker);
                attack.add(connection);
                streams.addAll(connection.bodiesThatNeverEnd(endlessPost(), 100));
            }
            var outcomes = streams.stream().map(stream -> stream.orTimeout(20, TimeUnit.SECONDS).join())
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));

            long[] nanos = new long[ORDINARY_REQUESTS];
            int[] during = ordinaryRequests(nanos);
            System.out.printf("descriptors (ulimit -n 512): attack streams %s; ordinary client during the attack: %d served,"
                            + " %d answered 503 gateway-busy, %d failed of %d, median %.1f ms, p99 %.1f ms;"
                            + " before it: %d served, median %.1f ms, p99 %.1f ms%n",
                    outcomes, during[0], during[1], during[2], ORDINARY_REQUESTS, median(nanos), p99(nanos),
                    before[0], median(baseline), p99(baseline));

            assertThat(before[0]).as("served before the attack").isEqualTo(ORDINARY_REQUESTS);
            assertThat(outcomes).as("the attack met the descriptor budget").containsKey("status 503 retry-after 2");
            assertThat(during[2]).as("ordinary requests without an answer (failed handshake, reset, timeout)").isZero();
            assertThat(during[0] + during[1]).isEqualTo(ORDINARY_REQUESTS);
        } finally {
            attack.forEach(RawHttp2::close);
        }
        String log = Files.readString(gatewayLog);
        assertThat(log).doesNotContain("Too many open files");
    }

    @Test
    void acceptErrorsPauseAcceptingAndAreLoggedOncePerIntervalWithACount() throws Exception {
        // A budget far above the process limit: nothing stops accepts before the kernel does.
        startGateway(256, """
                  maxFileDescriptors: 1000000
                  maxConnectionsPerAddress: 100000
                """);
        // Served once first, as any gateway in use has been: classes load lazily, and here (test
        // classes in folders, not in an open jar) loading one needs a descriptor of its own.
        assertThat(ordinaryRequests(new long[1])[0]).isEqualTo(1);
        List<Socket> flood = new ArrayList<>();
        try {
            InetAddress attacker = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
            for (int i = 0; i < 400; i++) {
                // Connected by the kernel's backlog whether or not the gateway can accept: they never speak.
                flood.add(new Socket(InetAddress.getLoopbackAddress(), port, attacker, 0));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(gatewayLog).contains("Too many open files"));
            Thread.sleep(3000); // lets accepting keep failing for a while: the flood, if any, would be here
        } finally {
            for (Socket socket : flood) {
                socket.close();
            }
        }
        // Accepting resumes once the flood's descriptors are free (their TLS handshakes time out or fail).
        await().atMost(Duration.ofSeconds(30)).until(() -> ordinaryRequests(new long[1])[0] == 1);

        List<String> lines = Files.readAllLines(gatewayLog);
        List<String> acceptFailures = lines.stream().filter(line -> line.contains("Accepting a connection on")).toList();
        long mentions = lines.stream().filter(line -> line.contains("Too many open files")).count();
        System.out.printf("accept errors (ulimit -n 256): %d line(s) of the accept loop, %d mention EMFILE, log %d bytes:%n%s%n",
                acceptFailures.size(), mentions, Files.size(gatewayLog), String.join("\n", acceptFailures));
        assertThat(acceptFailures).hasSizeBetween(1, 3).allMatch(line -> line.contains("Too many open files")
                && line.matches(".* failed [0-9]+ time\\(s\\) since the last such line .*"));
        assertThat(lines).as("Netty's own line for each failed accept").noneMatch(line -> line.contains("exceptionCaught()"));
        assertThat(Files.size(gatewayLog)).as("log bytes").isLessThan(64 * 1024);
    }

    /** Starts the gateway in a child JVM under {@code ulimit -n descriptors}, with {@code limits} (YAML lines) added. */
    private void startGateway(int descriptors, String limits) throws Exception {
        port = GatewayFixture.unusedPort();
        int admin = GatewayFixture.unusedPort();
        Path config = Files.writeString(state.resolve("gateway.yaml"), """
                listen: ["127.0.0.1:%d"]
                adminListen: 127.0.0.1:%d
                baseDomains: [%s]
                tls:
                  certificates:
                    - certificateChain: %s
                      privateKey: %s
                timeouts: {requestHead: 5s}
                limits:
                %s
                insecureOpenAccess: true
                eventLoopThreads: 1
                workspaceAddressRanges: [127.0.0.0/8]
                routes:
                  - workspace: %s
                    address: 127.0.0.1
                """.formatted(port, admin, GatewayFixture.BASE_DOMAIN, ca.serverCertificateChain(), ca.serverKey(),
                limits.stripTrailing(), GatewayFixture.WORKSPACE));
        gatewayLog = state.resolve("gateway.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "ulimit -n " + descriptors + " && exec \"$0\" \"$@\"",
                java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                GatewayProcessMain.class.getName(), config.toString())
                .redirectErrorStream(true)
                .redirectOutput(gatewayLog.toFile());
        gateway = builder.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            assertThat(gateway.isAlive()).as("the gateway process, log:%n%s", Files.readString(gatewayLog)).isTrue();
            return Files.readString(gatewayLog).contains("Listening on https://");
        });
    }

    private Http2Headers endlessPost() {
        return RawHttp2.headers().method("POST").scheme("https").path("/echo")
                .authority(host() + ":" + port);
    }

    private String host() {
        return workspace.address().getPort() + "-" + GatewayFixture.WORKSPACE + "." + GatewayFixture.BASE_DOMAIN;
    }

    /**
     * GETs of / from 127.0.0.1, each on a new connection; fills {@code nanos} (sorted) and returns
     * {served with 200, answered 503 with Retry-After, failed}.
     */
    private int[] ordinaryRequests(long[] nanos) throws Exception {
        SSLContext tls = GatewayFixture.trusting(ca.caCertificate());
        int[] counts = new int[3];
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            try (HttpClient client = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build()) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                                URI.create("https://" + host() + ":" + port + "/")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    counts[0]++;
                } else if (response.statusCode() == 503 && response.headers().firstValue("retry-after").isPresent()) {
                    counts[1]++;
                } else {
                    counts[2]++;
                }
            } catch (IOException failed) {
                counts[2]++;
            }
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return counts;
    }

    private static double median(long[] sorted) {
        return sorted[sorted.length / 2] / 1e6;
    }

    private static double p99(long[] sorted) {
        return sorted[(int) Math.ceil(sorted.length * 0.99) - 1] / 1e6;
    }
}
