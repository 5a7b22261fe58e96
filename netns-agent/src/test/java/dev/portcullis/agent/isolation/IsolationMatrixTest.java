package dev.portcullis.agent.isolation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.HostService;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.shaping.ShapingMode;
import dev.portcullis.agent.testing.NetProbe;
import dev.portcullis.agent.testing.PeerNamespace;
import dev.portcullis.agent.testing.ProbeProcess;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Real packets between real namespaces: two workspaces, a gateway, an outsider, a private network
 * and an "internet" network, all the test's own. Every address is inside 10.213.32.0/20 except the
 * metadata probe, which a second table of the test drops (and counts) behind Portcullis, so even a
 * broken ruleset sends nothing to the real 169.254.169.254.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a probe JVM that never answers must not hang the build
class IsolationMatrixTest {

    private static final int SERVICE = 7100;
    private static final int DNS = 53;
    private static final int HOST_SERVICE = 7101;
    private static final int HOST_PRIVATE = 7102;
    private static final int REFUSED_MS = 1200;
    private static final int LIMIT_MBIT = 4;

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private TestHost host;
    private WorkspaceNetworks agent;
    private WorkspaceStatus a;
    private WorkspaceStatus b;
    private WorkspaceStatus limited;
    private ProbeProcess probeLimited;
    private PeerNamespace gateway;
    private PeerNamespace outsider;
    private PeerNamespace internet;
    private PeerNamespace privateNet;
    private ProbeProcess probeA;
    private ProbeProcess probeGateway;
    private ProbeProcess probeOutsider;
    private boolean hostForwards;

    @BeforeAll
    void buildTheHost() throws Exception {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.32.0/28");
        agent = new WorkspaceNetworks(host.config()
                .gatewayAddresses(List.of(Ipv4Cidr.parse("10.213.33.1/32")))
                .blockedDestinations(List.of(Ipv4Cidr.parse("169.254.0.0/16"), Ipv4Cidr.parse("10.213.35.0/24")))
                .hostServices(List.of(new HostService("tcp", HOST_SERVICE)))
                .dnsResolvers(List.of(Ipv4Cidr.parse("10.213.35.1/32"))) // a resolver inside a blocked range
                .allowHostToWorkspaces(false)
                .build(), commands, new InMemoryRouteSink(), StepListener.NONE, Clock.systemUTC());
        agent.start();
        commands.check(List.of("nft", "-f", "-"), "table inet " + host.tableName() + "_net {\n"
                + "  chain forward {\n"
                + "    type filter hook forward priority 10; policy accept;\n"
                + "    iifname \"" + host.tag() + "*\" ip daddr 169.254.0.0/16 counter drop\n"
                + "  }\n}\n");
        a = agent.create(new WorkspaceSpec(WorkspaceId.of("a"), "alice", "acme", Optional.empty(), 0));
        b = agent.create(new WorkspaceSpec(WorkspaceId.of("b"), "bob", "acme", Optional.empty(), 0));
        limited = agent.create(new WorkspaceSpec(WorkspaceId.of("slow"), "carol", "acme", Optional.empty(), LIMIT_MBIT));
        gateway = new PeerNamespace(host, "gw", "10.213.33.0", "10.213.33.1");
        outsider = new PeerNamespace(host, "out", "10.213.34.0", "10.213.34.1");
        privateNet = new PeerNamespace(host, "priv", "10.213.35.0", "10.213.35.1");
        internet = new PeerNamespace(host, "net", "10.213.36.0", "10.213.36.1");

        // Six JVMs start at once; each is ready when its listeners are bound.
        List<CompletableFuture<ProbeProcess>> starting = List.of(
                start(a.namespace()), start(b.namespace()), start(gateway.namespace()),
                start(outsider.namespace()), start(privateNet.namespace(), SERVICE, DNS), start(internet.namespace()),
                start(limited.namespace()));
        List<ProbeProcess> probes = starting.stream().map(CompletableFuture::join).toList();
        probeA = probes.get(0);
        probeGateway = probes.get(2);
        probeOutsider = probes.get(3);
        probeLimited = probes.get(6);
        listenOnHost(a.hostAddress(), HOST_SERVICE);
        listenOnHost(a.hostAddress(), HOST_PRIVATE);
        // Control path between two non-workspace namespaces: Portcullis has no say in it.
        hostForwards = probeGateway.connect(privateNet.address(), SERVICE, 3000).startsWith("OK ");
    }

    /** Forwarded paths prove nothing when another firewall on the host drops all forwarding. */
    private void assumeHostForwards() {
        assumeTrue(hostForwards, "skipped: this host drops forwarded packets outside Portcullis (another table's"
                + " forward policy, e.g. Docker's FORWARD DROP), so forwarded paths cannot be told apart");
    }

    private CompletableFuture<ProbeProcess> start(String namespace) {
        return start(namespace, SERVICE);
    }

    private CompletableFuture<ProbeProcess> start(String namespace, int... ports) {
        ProbeProcess probe = new ProbeProcess(namespace, ports);
        closeLater.add(probe);
        return CompletableFuture.supplyAsync(probe::awaitReady);
    }

    private void listenOnHost(String address, int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(address, port));
        closeLater.add(server);
        Thread.ofPlatform().daemon().start(() -> NetProbe.serve(server));
    }

    @AfterAll
    void tearDown() {
        if (host == null) {
            return;
        }
        for (AutoCloseable closeable : closeLater) {
            try {
                closeable.close();
            } catch (Exception e) {
                // keep closing the rest
            }
        }
        try {
            agent.removeEverything();
        } finally {
            host.close();
        }
    }

    @Test
    void gatewayReachesAWorkspace() {
        assumeHostForwards();
        assertThat(probeGateway.connect(a.address(), SERVICE, 3000)).isEqualTo("OK " + gateway.address());
    }

    @Test
    void workspaceReachesTheInternetWithTheHostsAddress() {
        assumeHostForwards();
        assertThat(probeA.connect(internet.address(), SERVICE, 3000)).isEqualTo("OK " + internet.hostAddress());
    }

    @Test
    void egressOfALimitedWorkspaceIsShapedToItsRate() {
        assumeHostForwards();
        assumeTrue(agent.shapingMode() != ShapingMode.NONE, "skipped: the kernel has neither sch_htb nor sch_tbf");
        int bytes = 1_000_000; // 2 s at 4 Mbit/s

        long limitedMillis = probeLimited.sendMillis(internet.address(), SERVICE, bytes);
        long unlimitedMillis = probeA.sendMillis(internet.address(), SERVICE, bytes);

        assertThat(limitedMillis).as("8 Mbit at %d Mbit/s", LIMIT_MBIT).isGreaterThan(1_500);
        assertThat(unlimitedMillis).isLessThan(limitedMillis / 2);
    }

    @Test
    void workspaceCannotReachAnotherWorkspace() {
        assumeHostForwards();
        assertThat(probeA.connect(b.address(), SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @Test
    void workspaceCannotReachAnotherWorkspacesHostEnd() {
        assertThat(probeA.connect(b.hostAddress(), HOST_SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @Test
    void workspaceCannotReachTheHost() {
        assertThat(probeA.connect(a.hostAddress(), HOST_PRIVATE, REFUSED_MS)).startsWith("FAIL");
    }

    @Test
    void workspaceReachesAConfiguredHostService() {
        assertThat(probeA.connect(a.hostAddress(), HOST_SERVICE, 3000)).startsWith("OK ");
    }

    @Test
    void outsiderCannotReachAWorkspace() {
        assumeHostForwards();
        assertThat(probeOutsider.connect(a.address(), SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @Test
    void workspaceCannotReachABlockedPrivateRangeThatOthersReach() {
        assumeHostForwards();
        assertThat(probeGateway.connect(privateNet.address(), SERVICE, 3000)).startsWith("OK ");
        assertThat(probeA.connect(privateNet.address(), SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @Test
    void workspaceReachesTheHostsDnsResolverInABlockedRangeOnPort53Only() {
        assumeHostForwards();
        assertThat(probeA.connect(privateNet.address(), DNS, 3000)).as("DNS to the configured resolver").startsWith("OK ");
        assertThat(probeA.connect(privateNet.address(), SERVICE, REFUSED_MS)).as("anything else there").startsWith("FAIL");
    }

    @Test
    void workspaceCannotSendFromAnAddressThatIsNotItsOwn() {
        assumeHostForwards();
        commands.check("ip", "-n", a.namespace(), "addr", "add", "10.213.32.9/32", "dev", "eth0");

        assertThat(probeA.connectFrom("10.213.32.9", internet.address(), SERVICE, REFUSED_MS)).startsWith("FAIL");
        assertThat(probeA.connectFrom(a.address(), internet.address(), SERVICE, 3000)).startsWith("OK ");
    }

    @Test
    void workspaceCannotReachCloudMetadataAndNothingLeavesTheHost() {
        assumeHostForwards();
        assertThat(probeA.connect("169.254.169.254", 80, REFUSED_MS)).startsWith("FAIL");
        // Portcullis dropped it: the safety net behind it saw nothing.
        assertThat(commands.check("nft", "list", "table", "inet", host.tableName() + "_net").stdout())
                .contains("counter packets 0 bytes 0");
    }
}
