package dev.portcullis.agent.isolation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Address;
import dev.portcullis.agent.address.Ipv6Cidr;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real packets between real namespaces: two workspaces, a gateway, an outsider, a private network
 * and an "internet" network, all the test's own. The host is dual-stack, and every case of the
 * matrix runs once per family. IPv4: every address is inside 10.213.32.0/20 except the metadata
 * probe, which a second table of the test drops (and counts) behind Portcullis, so even a broken
 * ruleset sends nothing to the real 169.254.169.254. IPv6: every address is inside the test's ULA
 * fd3c:9b52:e1a0::/48, and the cloud metadata address fd00:ec2::254 is held by a namespace of the
 * test, routed there only for packets from the test's prefix (a policy rule and a routing table of the
 * test's own), so the probe proves the drop and reaches nothing real, and the host's own route to its
 * metadata service is never hidden.
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
    private static final String ULA = "fd3c:9b52:e1a0:";
    private static final String IPV6_METADATA = "fd00:ec2::254";

    /** The address family a case of the matrix runs in. */
    enum Family { IPV4, IPV6 }

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
    private PeerNamespace metadata;
    private ProbeProcess probeA;
    private ProbeProcess probeGateway;
    private ProbeProcess probeOutsider;
    private boolean hostForwards;
    private boolean hostForwardsIpv6;

    @BeforeAll
    void buildTheHost() throws Exception {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.32.0/28");
        agent = new WorkspaceNetworks(host.config()
                .gatewayAddresses(List.of(Ipv4Cidr.parse("10.213.33.1/32")))
                .blockedDestinations(List.of(Ipv4Cidr.parse("169.254.0.0/16"), Ipv4Cidr.parse("10.213.35.0/24")))
                .hostServices(List.of(new HostService("tcp", HOST_SERVICE)))
                .dnsResolvers(List.of(Ipv4Cidr.parse("10.213.35.1/32"))) // a resolver inside a blocked range
                .dnsIpv6Resolvers(List.of(Ipv6Cidr.parse(ULA + "35::3/128"))) // the same in IPv6
                .workspaceIpv6Prefix(Ipv6Cidr.parse(ULA + "20::/64"))
                .gatewayIpv6Addresses(List.of(Ipv6Cidr.parse(ULA + "33::3/128")))
                .blockedIpv6Destinations(List.of(Ipv6Cidr.parse("fd00:ec2::/32"), Ipv6Cidr.parse(ULA + "35::/64")))
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
        gateway = new PeerNamespace(host, "gw", "10.213.33.0", "10.213.33.1").withIpv6(ULA + "33::2", ULA + "33::3");
        outsider = new PeerNamespace(host, "out", "10.213.34.0", "10.213.34.1").withIpv6(ULA + "34::2", ULA + "34::3");
        privateNet = new PeerNamespace(host, "priv", "10.213.35.0", "10.213.35.1").withIpv6(ULA + "35::2", ULA + "35::3");
        internet = new PeerNamespace(host, "net", "10.213.36.0", "10.213.36.1").withIpv6(ULA + "36::2", ULA + "36::3");
        metadata = new PeerNamespace(host, "meta", "10.213.37.0", "10.213.37.1").withIpv6(ULA + "37::2", ULA + "37::3");
        closeLater.add(metadata.answering(IPV6_METADATA, ULA + ":/48", 30_000 + Math.floorMod(host.tag().hashCode(), 10_000)));

        // Six JVMs start at once; each is ready when its listeners are bound.
        List<CompletableFuture<ProbeProcess>> starting = List.of(
                start(a.namespace()), start(b.namespace()), start(gateway.namespace()),
                start(outsider.namespace()), start(privateNet.namespace(), SERVICE, DNS), start(internet.namespace()),
                start(limited.namespace()), start(metadata.namespace(), 80));
        List<ProbeProcess> probes = starting.stream().map(CompletableFuture::join).toList();
        probeA = probes.get(0);
        probeGateway = probes.get(2);
        probeOutsider = probes.get(3);
        probeLimited = probes.get(6);
        for (String address : List.of(a.hostAddress(), a.ipv6HostAddress())) {
            listenOnHost(address, HOST_SERVICE);
            listenOnHost(address, HOST_PRIVATE);
        }
        // Two of the host's other addresses (its end of the test's internet link), as an uplink's would be.
        listenOnHost(internet.hostAddress(), HOST_PRIVATE);
        listenOnHost(internet.ipv6HostAddress(), HOST_PRIVATE);
        // Control paths between two non-workspace namespaces: Portcullis has no say in them.
        hostForwards = probeGateway.connect(privateNet.address(), SERVICE, 3000).startsWith("OK ");
        hostForwardsIpv6 = probeGateway.connect(privateNet.ipv6Address(), SERVICE, 3000).startsWith("OK ");
    }

    /** Forwarded paths prove nothing when another firewall on the host drops all forwarding. */
    private void assumeHostForwards(Family family) {
        assumeTrue(hostForwards, "skipped: this host drops forwarded packets outside Portcullis (another table's"
                + " forward policy, e.g. Docker's FORWARD DROP), so forwarded paths cannot be told apart");
        if (family == Family.IPV6) {
            assumeTrue(hostForwardsIpv6, "skipped: this host does not forward IPv6 between the test's own namespaces"
                    + " (a kernel before 6.17 has no per-link force_forwarding, or another table drops IPv6 forwarding)");
        }
    }

    private static String address(Family family, WorkspaceStatus ws) {
        return family == Family.IPV4 ? ws.address() : ws.ipv6Address();
    }

    private static String hostEnd(Family family, WorkspaceStatus ws) {
        return family == Family.IPV4 ? ws.hostAddress() : ws.ipv6HostAddress();
    }

    private static String address(Family family, PeerNamespace peer) {
        return family == Family.IPV4 ? peer.address() : peer.ipv6Address();
    }

    private static String hostEnd(Family family, PeerNamespace peer) {
        return family == Family.IPV4 ? peer.hostAddress() : peer.ipv6HostAddress();
    }

    /** Packets the table's rule with this comment has dropped so far. */
    private long dropped(String chain, String comment) {
        String listing = commands.check("nft", "list", "chain", "inet", host.tableName(), chain).stdout();
        java.util.regex.Matcher counter = java.util.regex.Pattern
                .compile("counter packets (\\d+) bytes \\d+ drop comment \"" + comment + "\"").matcher(listing);
        assertThat(counter.find()).as("rule '%s' in %s:%n%s", comment, chain, listing).isTrue();
        return Long.parseLong(counter.group(1));
    }

    /** "OK fd3c:9b52:e1a0:33:0:0:0:3" as Java prints it, in the form the test wrote it: "OK fd3c:9b52:e1a0:33::3". */
    private static String canonical(String answer) {
        if (!answer.startsWith("OK ") || !answer.contains(":")) {
            return answer;
        }
        return "OK " + Ipv6Address.parse(answer.substring(3).strip());
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

    @ParameterizedTest
    @EnumSource(Family.class)
    void gatewayReachesAWorkspace(Family family) {
        assumeHostForwards(family);
        assertThat(canonical(probeGateway.connect(address(family, a), SERVICE, 3000)))
                .isEqualTo("OK " + address(family, gateway));
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceReachesTheInternetWithTheHostsAddress(Family family) {
        assumeHostForwards(family);
        assertThat(canonical(probeA.connect(address(family, internet), SERVICE, 3000)))
                .isEqualTo("OK " + hostEnd(family, internet));
    }

    @Test
    void egressOfALimitedWorkspaceIsShapedToItsRate() {
        assumeHostForwards(Family.IPV4);
        assumeTrue(agent.shapingMode() != ShapingMode.NONE, "skipped: the kernel has neither sch_htb nor sch_tbf");
        int bytes = 1_000_000; // 2 s at 4 Mbit/s

        long limitedMillis = probeLimited.sendMillis(internet.address(), SERVICE, bytes);
        long unlimitedMillis = probeA.sendMillis(internet.address(), SERVICE, bytes);

        assertThat(limitedMillis).as("8 Mbit at %d Mbit/s", LIMIT_MBIT).isGreaterThan(1_500);
        assertThat(unlimitedMillis).isLessThan(limitedMillis / 2);
    }

    @Test
    void ipv6EgressOfALimitedWorkspaceIsShapedToItsRateToo() {
        assumeHostForwards(Family.IPV6);
        assumeTrue(agent.shapingMode() != ShapingMode.NONE, "skipped: the kernel has neither sch_htb nor sch_tbf");

        long limitedMillis = probeLimited.sendMillis(internet.ipv6Address(), SERVICE, 1_000_000);

        assertThat(limitedMillis).as("8 Mbit at %d Mbit/s over IPv6", LIMIT_MBIT).isGreaterThan(1_500);
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceCannotReachAnotherWorkspace(Family family) {
        assumeHostForwards(family);
        assertThat(probeA.connect(address(family, b), SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceCannotReachAnotherWorkspacesHostEnd(Family family) {
        assertThat(probeA.connect(hostEnd(family, b), HOST_SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceCannotReachTheHost(Family family) {
        assertThat(probeA.connect(hostEnd(family, a), HOST_PRIVATE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceCannotReachTheHostsOtherAddresses(Family family) {
        assertThat(probeGateway.connect(hostEnd(family, internet), HOST_PRIVATE, 3000)).as("the host listens there")
                .startsWith("OK ");
        assertThat(probeA.connect(hostEnd(family, internet), HOST_PRIVATE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceReachesAConfiguredHostService(Family family) {
        assertThat(probeA.connect(hostEnd(family, a), HOST_SERVICE, 3000)).startsWith("OK ");
    }

    @Test
    void workspaceCannotReachTheHostsLinkLocalAddress() throws IOException {
        String hostLink = a.desired().hostInterface();
        org.awaitility.Awaitility.await("the host end's link-local address leaves duplicate detection")
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> commands.check("ip", "-6", "addr", "show", "dev", hostLink, "scope", "link").stdout(),
                        out -> out.contains("inet6 fe80::") && !out.contains("tentative"));
        String linkLocal = commands.check("ip", "-6", "-o", "addr", "show", "dev", hostLink, "scope", "link").stdout()
                .split("inet6 ", 2)[1].split("/", 2)[0];
        listenOnHost(linkLocal + "%" + hostLink, HOST_PRIVATE);

        assertThat(probeA.connect(linkLocal + "%eth0", HOST_PRIVATE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void outsiderCannotReachAWorkspace(Family family) {
        assumeHostForwards(family);
        assertThat(probeOutsider.connect(address(family, a), SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceCannotReachABlockedPrivateRangeThatOthersReach(Family family) {
        assumeHostForwards(family);
        assertThat(probeGateway.connect(address(family, privateNet), SERVICE, 3000)).startsWith("OK ");
        assertThat(probeA.connect(address(family, privateNet), SERVICE, REFUSED_MS)).startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceReachesTheHostsDnsResolverInABlockedRangeOnPort53Only(Family family) {
        assumeHostForwards(family);
        assertThat(probeA.connect(address(family, privateNet), DNS, 3000)).as("DNS to the configured resolver").startsWith("OK ");
        assertThat(probeA.connect(address(family, privateNet), SERVICE, REFUSED_MS)).as("anything else there").startsWith("FAIL");
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void workspaceCannotSendFromAnAddressThatIsNotItsOwn(Family family) {
        assumeHostForwards(family);
        String spoofed = family == Family.IPV4 ? "10.213.32.9" : ULA + "20::99";
        commands.check("ip", "-n", a.namespace(), "addr", "add", spoofed + (family == Family.IPV4 ? "/32" : "/128"),
                "dev", "eth0", family == Family.IPV4 ? "noprefixroute" : "nodad"); // usable at once, no route of its own
        // No reply could come back to an address the host has no route to, so the failed connects alone
        // would not prove the drop: the spoofing rules' own counters must count these packets.
        String rule = family == Family.IPV4 ? "spoofed source" : "spoofed ipv6 source";
        long forwardedBefore = dropped("workspace_out", rule);
        long toHostBefore = dropped("workspace_to_host", rule);
        try {
            assertThat(probeA.connectFrom(spoofed, address(family, internet), SERVICE, REFUSED_MS)).startsWith("FAIL");
            assertThat(probeA.connectFrom(spoofed, hostEnd(family, a), HOST_SERVICE, REFUSED_MS)).as("to the host").startsWith("FAIL");
            assertThat(probeA.connectFrom(address(family, a), address(family, internet), SERVICE, 3000)).startsWith("OK ");
            if (family == Family.IPV6) { // IPv4's strict rp_filter on the host end drops it before the table sees it
                assertThat(dropped("workspace_out", rule)).as("dropped on the way out").isGreaterThan(forwardedBefore);
                assertThat(dropped("workspace_to_host", rule)).as("dropped on the way to the host").isGreaterThan(toHostBefore);
            }
        } finally {
            commands.check("ip", "-n", a.namespace(), "addr", "del", spoofed + (family == Family.IPV4 ? "/32" : "/128"),
                    "dev", "eth0");
        }
    }

    @Test
    void workspaceCannotReachCloudMetadataAndNothingLeavesTheHost() {
        assumeHostForwards(Family.IPV4);
        assertThat(probeA.connect("169.254.169.254", 80, REFUSED_MS)).startsWith("FAIL");
        // Portcullis dropped it: the safety net behind it saw nothing.
        assertThat(commands.check("nft", "list", "table", "inet", host.tableName() + "_net").stdout())
                .contains("counter packets 0 bytes 0");
    }

    @Test
    void theTestsMetadataRouteLeavesTheHostsOwnRouteAlone() {
        // The host itself (no source of the test's prefix) is routed as before the test.
        assertThat(commands.check("ip", "-6", "route", "show", "exact", IPV6_METADATA + "/128").stdout()).isEmpty();
        assertThat(commands.run("ip", "-6", "route", "get", IPV6_METADATA).stdout()).doesNotContain(metadata.link());
        assertThat(commands.check("ip", "-6", "route", "get", IPV6_METADATA, "from", a.ipv6Address(), "iif",
                a.desired().hostInterface()).stdout())
                .contains("dev " + metadata.link());
    }

    @Test
    void workspaceCannotReachIpv6CloudMetadataThatOthersReach() {
        assumeHostForwards(Family.IPV6);
        assertThat(probeGateway.connect(IPV6_METADATA, 80, 3000)).as("the test's metadata namespace answers").startsWith("OK ");
        assertThat(probeA.connect(IPV6_METADATA, 80, REFUSED_MS)).startsWith("FAIL");
    }
}
