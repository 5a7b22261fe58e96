package dev.portcullis.e2e.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.config.GatewayRouteSettings;
import dev.portcullis.agent.route.GatewayRouteSink;
import dev.portcullis.agent.route.Route;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.e2e.testing.GatewayRequests;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.store.StoreSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One machine, nothing else installed: a real gateway holds the embedded store, the agent's sink
 * publishes into it through the gateway's host API, and requests through the gateway reach a
 * backend on loopback standing in for the workspace. No root needed.
 */
class GatewayRouteSinkTest {
    private static final String DOMAIN = "ws.localhost";
    private static final Duration PROPAGATION = Duration.ofSeconds(5);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    private DevelopmentIssuer issuer;
    private DemoWorkspaceApp backend;
    private GatewayServer gateway;
    private SSLContext client;
    private Path tokenFile;
    private GatewayRouteSink sink;

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(dir.resolve("issuer"));
        backend = DemoWorkspaceApp.start(ServerSockets.best(), new InetSocketAddress(LOOPBACK, 0));
        gateway = startGateway(0);
        tokenFile = dir.resolve("host-1.token");
        Files.writeString(tokenFile, issuer.mintHost("host-1", Duration.ofMinutes(10)) + "\n");
    }

    /** A gateway on the embedded store in {@code dir}, its admin listener on {@code adminPort} (0: any). */
    private GatewayServer startGateway(int adminPort) throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(dir.resolve("tls"));
        ca.ensureServerCertificate(DOMAIN);
        client = GatewayRequests.trusting(ca.caCertificate());
        return GatewayServer.start(GatewayConfig.builder()
                .listen(new InetSocketAddress(LOOPBACK, 0))
                .adminListen(new InetSocketAddress(LOOPBACK, adminPort))
                .baseDomain(DOMAIN)
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                .store(StoreSettings.embedded(dir.resolve("store.json")))
                .hostRouteRanges(List.of(AddressRange.parse("127.0.0.0/8")))
                .workspaceAddressRanges(List.of(AddressRange.parse("127.0.0.0/8")))
                .eventLoopThreads(1)
                .build());
    }

    @AfterEach
    void stop() {
        if (sink != null) {
            sink.abandon();
        }
        gateway.close();
        backend.close();
    }

    private GatewayRouteSettings settings(Duration leaseTtl) {
        return GatewayRouteSettings.of(URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort()), tokenFile)
                .withLeaseTtl(leaseTtl);
    }

    private static Route route(String workspace) {
        return new Route(workspace, "127.0.0.1", "host-1", "alice", "acme");
    }

    private boolean routed(String workspace) {
        return gateway.currentRoutes().lookup(workspace) != null;
    }

    private String throughGateway(String workspace) throws Exception {
        String alice = issuer.mint(new DevelopmentIssuer.Claims("alice", null, "acme", List.of(), false, Duration.ofMinutes(5)));
        return GatewayRequests.get(client, gateway.boundAddresses().get(0).getPort(),
                backend.address().getPort() + "-" + workspace + "." + DOMAIN, "Authorization: Bearer " + alice + "\r\n");
    }

    private static void await(Duration within, BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(within).until(condition::getAsBoolean);
    }

    /** Fails as soon as {@code condition} stops holding during {@code period}. */
    private static void holdsFor(Duration period, BooleanSupplier condition, String what) {
        Awaitility.await(what).during(period).atMost(period.plusSeconds(5)).until(condition::getAsBoolean);
    }

    @Test
    void aPublishedRouteIsUsableThroughTheGatewayAndAWithdrawnOneIs404() throws Exception {
        sink = new GatewayRouteSink(settings(Duration.ofSeconds(30)), "host-1");

        sink.publish(route("ws1"));

        await(PROPAGATION, () -> routed("ws1"), "the route reaches the gateway");
        assertThat(throughGateway("ws1")).startsWith("HTTP/1.1 200 ").contains(DemoWorkspaceApp.PAGE_TITLE);
        assertThat(sink.published()).containsOnlyKeys("ws1");

        sink.withdraw("ws1");

        await(PROPAGATION, () -> !routed("ws1"), "the route leaves the gateway");
        assertThat(throughGateway("ws1")).startsWith("HTTP/1.1 404 ").contains("unknown-workspace");
        assertThat(sink.published()).isEmpty();
        sink.withdraw("ws1"); // twice is fine
    }

    @Test
    void theRoutesOfAnAgentThatStopsKeepingItsLeaseAliveGoWithinTheTtl() throws Exception {
        sink = new GatewayRouteSink(settings(Duration.ofSeconds(2)), "host-1");
        sink.publish(route("ws1"));
        await(PROPAGATION, () -> routed("ws1"), "the route reaches the gateway");
        // Longer than the TTL, checked all along: the keep-alives hold it.
        holdsFor(Duration.ofSeconds(3), () -> routed("ws1"), "kept alive past its TTL");

        sink.abandon(); // a killed agent: no keep-alives, no revoke

        await(Duration.ofSeconds(4), () -> !routed("ws1"), "the route goes with the lease's TTL");
        assertThat(throughGateway("ws1")).startsWith("HTTP/1.1 404 ");
    }

    @Test
    void aCleanCloseTakesTheRoutesAwayAtOnce() throws Exception {
        GatewayRouteSink closing = new GatewayRouteSink(settings(Duration.ofSeconds(60)), "host-1");
        closing.publish(route("ws1"));
        closing.publish(route("ws2"));
        await(PROPAGATION, () -> routed("ws1") && routed("ws2"), "the routes reach the gateway");

        closing.close();

        await(Duration.ofSeconds(2), () -> !routed("ws1") && !routed("ws2"), "the routes go long before the 60s TTL");
    }

    @Test
    void aLostLeaseIsReplacedAndEveryRouteWrittenAgain() throws Exception {
        sink = new GatewayRouteSink(settings(Duration.ofSeconds(2)), "host-1");
        sink.publish(route("ws1"));
        sink.publish(route("ws2"));
        long first = sink.lease();

        // The gateway lost the lease (its store expired it, or the gateway restarted): the routes went with it.
        HttpResponse<String> revoked = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(settings(Duration.ofSeconds(2)).adminUrl() + "/api/v1/hosts/host-1/leases/" + first))
                .header("Authorization", "Bearer " + Files.readString(tokenFile).strip()).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(revoked.statusCode()).isEqualTo(204);

        await(PROPAGATION, () -> sink.lease() != first && routed("ws1") && routed("ws2"),
                "the next keep-alive grants a new lease and writes both routes again");
        assertThat(throughGateway("ws2")).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void aRestartedGatewayKeepsServingTheRoutesAndTheAgentMovesThemToANewLease() throws Exception {
        sink = new GatewayRouteSink(settings(Duration.ofSeconds(2)), "host-1");
        sink.publish(route("ws1"));
        long first = sink.lease();
        int adminPort = gateway.adminAddress().getPort();

        gateway.close();
        gateway = startGateway(adminPort);

        assertThat(routed("ws1")).as("read back from the store file at start").isTrue();
        await(PROPAGATION, () -> sink.lease() != first, "the agent hears its lease is unknown here and grants a new one");
        // Past the old lease's TTL, which the store restarted at open, checked all along.
        holdsFor(Duration.ofSeconds(3), () -> routed("ws1"), "moved to the new lease before the old one ran out");
        assertThat(throughGateway("ws1")).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void aRefusedPublishThrowsAndIsNotCountedAsPublished() throws Exception {
        Files.writeString(tokenFile, issuer.mintHost("host-2", Duration.ofMinutes(10)));
        sink = new GatewayRouteSink(settings(Duration.ofSeconds(30)), "host-1");

        assertThatThrownBy(() -> sink.publish(route("ws1"))).hasMessageContaining("403").hasMessageContaining("host-2");

        assertThat(sink.published()).isEmpty();
        assertThat(routed("ws1")).isFalse();
    }

    @Test
    void aPublishToAnotherHostsRouteOrAnUnreachableGatewayThrows() throws Exception {
        Path otherToken = dir.resolve("host-2.token");
        Files.writeString(otherToken, issuer.mintHost("host-2", Duration.ofMinutes(10)));
        GatewayRouteSettings host2 = GatewayRouteSettings.of(settings(Duration.ofSeconds(30)).adminUrl(), otherToken);
        GatewayRouteSink other = new GatewayRouteSink(host2, "host-2");
        other.publish(new Route("ws1", "127.0.0.1", "host-2", "mallory", "globex"));
        sink = new GatewayRouteSink(settings(Duration.ofSeconds(30)), "host-1");

        assertThatThrownBy(() -> sink.publish(route("ws1"))).hasMessageContaining("409").hasMessageContaining("owned-by-another-host");
        assertThatThrownBy(() -> sink.withdraw("ws1")).hasMessageContaining("409");
        other.close();

        GatewayRouteSink unreachable = new GatewayRouteSink(GatewayRouteSettings.of(
                URI.create("http://127.0.0.1:" + unusedPort()), tokenFile), "host-1");
        assertThatThrownBy(() -> unreachable.publish(route("ws3"))).hasMessageContaining("127.0.0.1");
        assertThat(unreachable.published()).isEmpty();
        unreachable.abandon();
    }

    private static int unusedPort() throws Exception {
        try (var socket = new java.net.ServerSocket(0, 1, LOOPBACK)) {
            return socket.getLocalPort();
        }
    }
}
