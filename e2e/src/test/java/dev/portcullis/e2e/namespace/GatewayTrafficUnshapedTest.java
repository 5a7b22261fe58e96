package dev.portcullis.e2e.namespace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.route.FileRouteSink;
import dev.portcullis.agent.shaping.ShapingMode;
import dev.portcullis.agent.testing.Iperf;
import dev.portcullis.agent.testing.PeerNamespace;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.e2e.testing.GatewayRequests;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.policy.WorkspaceId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 4: a workspace's egress limit holds what it sends to the world, not the answers its
 * IDE sends back to the gateway that serves it. A workspace limited to 100 Mbit/s serves the IDE's
 * cold load (5.5 MB) through a real gateway on this host; the bytes must bypass the limited class,
 * while iperf3 to another namespace stays at the limit.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GatewayTrafficUnshapedTest {
    private static final int APP_PORT = 3000;
    private static final int IPERF_PORT = 5201;
    private static final int LIMIT_MBIT = 100;
    /** About what code-server's workbench loads on a cold start. */
    private static final int COLD_LOAD_BYTES = 5_500_000;
    private static final String RANGE = "10.213.179.0/28";
    private static final int RUNS = 5;

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private final List<Process> processes = new ArrayList<>();
    private TestHost host;
    private WorkspaceNetworks agent;

    @TempDir
    Path temp;

    @AfterEach
    void cleanUp() {
        processes.forEach(Iperf::stop);
        TestHost.cleanUp(host, agent);
    }

    @Test
    void theIdesColdLoadThroughTheGatewayBypassesTheEgressLimitWhileOtherEgressStaysLimited() throws Exception {
        RootNetworking.assumeAvailable();
        Iperf.assumeInstalled();
        host = new TestHost(RANGE);
        Path routeFile = temp.resolve("routes.json");
        agent = startAgent(routeFile, false);
        assumeTrue(agent.shapingMode() == ShapingMode.HTB, "skipped: the kernel has no sch_htb, which the exemption needs");
        WorkspaceStatus ide = agent.create(new WorkspaceSpec(WorkspaceId.of("ide"), "alice", "acme", Optional.empty(), 0));
        assertThat(agent.inspect(ide.desired().id()).actual().egress())
                .as("the host is the gateway here: its end of the veth is exempt")
                .isEqualTo("htb " + LIMIT_MBIT + "Mbit unshaped dst " + ide.hostAddress() + "/32");
        startFileServer(ide);
        PeerNamespace world = new PeerNamespace(host, "net", "10.213.179.16", "10.213.179.17");

        DemoCertificateAuthority ca = new DemoCertificateAuthority(temp.resolve("tls"));
        ca.ensureServerCertificate("ws.localhost");
        try (GatewayServer gateway = GatewayServer.start(gatewayConfig(ca, routeFile))) {
            int port = gateway.boundAddresses().get(0).getPort();
            SSLContext client = GatewayRequests.trusting(ca.caCertificate());
            coldLoadMillis(client, port); // the JVMs' first run, not measured

            long shapedBefore = shapedBytes(ide);
            double[] exempt = coldLoads(client, port);
            assertThat(shapedBytes(ide) - shapedBefore).as("bytes of %d cold loads that went through the limited class",
                    RUNS).isLessThan(COLD_LOAD_BYTES / 10);

            // The same workspace, server and gateway, shaped as before this change: the baseline.
            agent.close();
            agent = startAgent(routeFile, true);
            assertThat(agent.inspect(ide.desired().id()).actual().egress()).as("the restart converged the filters away")
                    .isEqualTo("htb " + LIMIT_MBIT + "Mbit");
            shapedBefore = shapedBytes(ide);
            double[] shaped = coldLoads(client, port);
            assertThat(shapedBytes(ide) - shapedBefore).as("with shapeGatewayTraffic the cold loads are held")
                    .isGreaterThanOrEqualTo((long) RUNS * COLD_LOAD_BYTES);

            double exemptMedian = median(exempt);
            double shapedMedian = median(shaped);
            System.out.printf("cold load (%d bytes) through the gateway, median of %d: %.0f ms exempt, %.0f ms shaped at"
                    + " %d Mbit/s (%.2fx faster); runs exempt %s, shaped %s%n", COLD_LOAD_BYTES, RUNS, exemptMedian,
                    shapedMedian, LIMIT_MBIT, shapedMedian / exemptMedian, Arrays.toString(exempt), Arrays.toString(shaped));
        }

        Process server = Iperf.server(world.namespace(), world.address(), IPERF_PORT);
        processes.add(server);
        double toTheWorld = Iperf.receivedMbit(ide.namespace(), world.address(), IPERF_PORT, 3);
        System.out.printf("egress to another namespace: %.1f Mbit/s (limit %d)%n", toTheWorld, LIMIT_MBIT);
        assertThat(toTheWorld).as("egress to the world, Mbit/s").isBetween(LIMIT_MBIT * 0.85, LIMIT_MBIT * 1.05);
    }

    private WorkspaceNetworks startAgent(Path routeFile, boolean shapeGatewayTraffic) {
        WorkspaceNetworks networks = new WorkspaceNetworks(host.config().allowHostToWorkspaces(true).routeFile(routeFile)
                .blockedDestinations(List.of(Ipv4Cidr.parse("169.254.0.0/16")))
                .defaultEgressMbit(LIMIT_MBIT).shapeGatewayTraffic(shapeGatewayTraffic).build(),
                commands, new FileRouteSink(routeFile), StepListener.NONE, Clock.systemUTC());
        networks.start();
        return networks;
    }

    private double[] coldLoads(SSLContext client, int port) throws Exception {
        double[] millis = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            millis[i] = coldLoadMillis(client, port);
        }
        return millis;
    }

    private double coldLoadMillis(SSLContext client, int port) throws Exception {
        long started = System.nanoTime();
        long body = GatewayRequests.download(client, port, APP_PORT + "-ide.ws.localhost", "/cold-load.bin");
        double millis = Math.round((System.nanoTime() - started) / 1e5) / 10.0;
        assertThat(body).as("the cold load arrived whole through the gateway").isEqualTo(COLD_LOAD_BYTES);
        return millis;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The JDK's own file server, as its own JVM inside the namespace, serving a file of the cold load's size. */
    private void startFileServer(WorkspaceStatus ws) throws Exception {
        Path root = Files.createDirectories(temp.resolve("www"));
        byte[] bytes = new byte[COLD_LOAD_BYTES];
        new Random(13).nextBytes(bytes); // incompressible, like the minified bundles it stands for
        Files.write(root.resolve("cold-load.bin"), bytes);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process app = new ProcessBuilder("ip", "netns", "exec", ws.namespace(), java, "-m", "jdk.httpserver",
                "-b", ws.address(), "-p", Integer.toString(APP_PORT), "-d", root.toString(), "-o", "none")
                .redirectErrorStream(true).start();
        processes.add(app);
        BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && !line.startsWith("URL ")) {
            line = out.readLine();
        }
        assertThat(line).as("the file server in " + ws.namespace() + " started").startsWith("URL ");
        Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> {})); // keep its pipe drained
    }

    private GatewayConfig gatewayConfig(DemoCertificateAuthority ca, Path routeFile) throws Exception {
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        return GatewayConfig.builder()
                .listen(new InetSocketAddress(loopback, 0))
                .adminListen(new InetSocketAddress(loopback, 0))
                .baseDomain("ws.localhost")
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                .routeFile(routeFile)
                .workspaceAddressRanges(List.of(AddressRange.parse(RANGE)))
                .eventLoopThreads(1)
                .build();
    }

    /** What the workspace's limited HTB class has sent so far. */
    private long shapedBytes(WorkspaceStatus ws) {
        String shown = commands.check("tc", "-n", ws.namespace(), "-s", "class", "show", "dev", "eth0", "classid", "1:10").stdout();
        Matcher sent = Pattern.compile("Sent (\\d+) bytes").matcher(shown);
        assertThat(sent.find()).as("class 1:10 in " + shown).isTrue();
        return Long.parseLong(sent.group(1));
    }
}
