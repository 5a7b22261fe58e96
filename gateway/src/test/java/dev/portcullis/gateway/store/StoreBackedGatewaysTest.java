package dev.portcullis.gateway.store;

import static dev.portcullis.gateway.store.StoreGateways.awaitStatus;
import static dev.portcullis.gateway.store.StoreGateways.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.TunnelWatcher;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.HostLease;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import dev.portcullis.store.record.StoreKeys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateways and two hosts' route writers on one real etcd (started on free loopback ports): what
 * one side writes, the other serves. The hosts write routes under their leases as the agent's
 * store sink does; shares and policies go through gateway 1's admin API. Each test uses its own
 * workspace, so they share one etcd and one pair of gateways. Alice owns every workspace (org acme);
 * bob is in acme.
 */
class StoreBackedGatewaysTest {
    private static final AtomicInteger workspaces = new AtomicInteger();

    private static Path folder;
    private static EtcdCluster etcd;
    private static StoreGateways setup;
    private static GatewayFixture gateway1;
    private static GatewayFixture gateway2;
    private static ControlPlaneStore host1;
    private static ControlPlaneStore host2;
    private static HostLease lease1;
    private static HostLease lease2;

    @BeforeAll
    static void start() throws Exception {
        EtcdCluster.assumeEtcdInstalled();
        folder = Files.createTempDirectory("portcullis-store-gateways-");
        etcd = EtcdCluster.start(1);
        setup = new StoreGateways(folder);
        StoreSettings store = StoreSettings.etcd(etcd.endpoints());
        gateway1 = setup.start(folder.resolve("g1"), store);
        gateway2 = setup.start(folder.resolve("g2"), store);
        host1 = new ControlPlaneStore(store.open());
        host2 = new ControlPlaneStore(store.open());
        lease1 = host1.grantLease(Duration.ofSeconds(10), lost -> { });
        lease2 = host2.grantLease(Duration.ofSeconds(10), lost -> { });
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {lease1, lease2, host1, host2, gateway1, gateway2, etcd}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // the rest still closes
            }
        }
    }

    /**
     * A new workspace of alice's on {@code host}, reached at the demo app of gateway 1 (127.0.0.1),
     * once both gateways route it (the admin API knows only workspaces its gateway routes).
     */
    private static String createWorkspace(ControlPlaneStore host, HostLease lease, String hostName) throws Exception {
        String workspace = publishWorkspace(host, lease, hostName);
        for (GatewayFixture gateway : List.of(gateway1, gateway2)) {
            awaitStatus(gateway, workspace, port(), setup.token("alice", "acme"), status -> status == 200);
        }
        return workspace;
    }

    private static String publishWorkspace(ControlPlaneStore host, HostLease lease, String hostName) {
        String workspace = "ws" + workspaces.incrementAndGet();
        host.putRoute(RouteRecord.running(workspace, "127.0.0.1", hostName, "alice", "acme"), lease);
        return workspace;
    }

    private static int port() {
        return gateway1.workspacePort();
    }

    private static String sharePath(String workspace) {
        return "/api/v1/shares/" + workspace + "/" + port();
    }

    @Test
    void aWorkspaceCreatedOnEitherHostIsRoutableOnBothGateways() throws Exception {
        String alice = setup.token("alice", "acme");
        String onHost1 = publishWorkspace(host1, lease1, "host-1");
        String onHost2 = publishWorkspace(host2, lease2, "host-2");

        for (String workspace : List.of(onHost1, onHost2)) {
            for (GatewayFixture gateway : List.of(gateway1, gateway2)) {
                Duration took = awaitStatus(gateway, workspace, port(), alice, status -> status == 200);
                assertThat(took).isLessThan(StoreGateways.PROPAGATION);
            }
        }
    }

    @Test
    void deletingAWorkspaceMakesBothGatewaysAnswer404() throws Exception {
        String alice = setup.token("alice", "acme");
        String workspace = createWorkspace(host1, lease1, "host-1");
        awaitStatus(gateway1, workspace, port(), alice, status -> status == 200);
        awaitStatus(gateway2, workspace, port(), alice, status -> status == 200);

        host1.deleteRoute(workspace, KeyValueStore.ANY_REVISION);

        awaitStatus(gateway1, workspace, port(), alice, status -> status == 404);
        awaitStatus(gateway2, workspace, port(), alice, status -> status == 404);
    }

    @Test
    void aShareSetThroughGateway1IsEnforcedOnGateway2() throws Exception {
        String workspace = createWorkspace(host2, lease2, "host-2");
        String bob = setup.token("bob", "acme");
        awaitStatus(gateway2, workspace, port(), bob, status -> status == 403);

        HttpResponse<String> shared = setup.call(gateway1, "PUT", sharePath(workspace), setup.token("alice", "acme"),
                "{\"level\":\"organization\"}");

        assertThat(shared.statusCode()).as(shared.body()).isEqualTo(200);
        assertThat(shared.headers().firstValue("ETag")).hasValueSatisfying(etag -> assertThat(etag).matches("\"\\d+\""));
        // Gateway 1 waited for its own replica: it enforces the share at once.
        assertThat(status(gateway1, workspace, port(), bob)).isEqualTo(200);
        awaitStatus(gateway2, workspace, port(), bob, status -> status == 200);
        assertThat(status(gateway2, workspace, port(), setup.token("eve", "globex"))).isEqualTo(403);
    }

    @Test
    void aTunnelOnGateway2ClosesWithinASecondWhenTheShareIsRevokedThroughGateway1() throws Exception {
        String workspace = createWorkspace(host1, lease1, "host-1");
        String alice = setup.token("alice", "acme");
        assertThat(setup.call(gateway1, "PUT", sharePath(workspace), alice, "{\"level\":\"organization\"}").statusCode())
                .isEqualTo(200);
        String bob = setup.token("bob", "acme");
        awaitStatus(gateway2, workspace, port(), bob, status -> status == 200);
        TunnelWatcher tunnel = new TunnelWatcher();
        WebSocket socket = gateway2.httpClient().newWebSocketBuilder().connectTimeout(StoreGateways.TIMEOUT)
                .header("Authorization", "Bearer " + bob)
                .buildAsync(URI.create("wss://" + gateway2.host(port(), workspace) + ":" + gateway2.gatewayPort() + "/echo"),
                        tunnel).get(10, TimeUnit.SECONDS);
        socket.sendText("still here?", true).get(5, TimeUnit.SECONDS);
        assertThat(tunnel.firstText.get(5, TimeUnit.SECONDS)).isEqualTo("still here?");

        long revokedAt = System.nanoTime();
        HttpResponse<String> revoked = setup.call(gateway1, "DELETE", sharePath(workspace), alice, null);

        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
        tunnel.closed.get(5, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(1));
        assertThat(status(gateway2, workspace, port(), bob)).isEqualTo(403);
    }

    @Test
    void aTunnelTheRevocationDoesNotConcernStaysOpen() throws Exception {
        String workspace = createWorkspace(host1, lease1, "host-1");
        String alice = setup.token("alice", "acme");
        assertThat(setup.call(gateway1, "PUT", sharePath(workspace), alice, "{\"level\":\"organization\"}").statusCode())
                .isEqualTo(200);
        awaitStatus(gateway2, workspace, port(), alice, status -> status == 200);
        TunnelWatcher tunnel = new TunnelWatcher();
        WebSocket socket = gateway2.httpClient().newWebSocketBuilder().connectTimeout(StoreGateways.TIMEOUT)
                .header("Authorization", "Bearer " + alice)
                .buildAsync(URI.create("wss://" + gateway2.host(port(), workspace) + ":" + gateway2.gatewayPort() + "/echo"),
                        tunnel).get(10, TimeUnit.SECONDS);

        assertThat(setup.call(gateway1, "DELETE", sharePath(workspace), alice, null).statusCode()).isEqualTo(204);
        awaitStatus(gateway2, workspace, port(), setup.token("bob", "acme"), status -> status == 403);

        socket.sendText("owner", true).get(5, TimeUnit.SECONDS);
        assertThat(tunnel.firstText.get(5, TimeUnit.SECONDS)).isEqualTo("owner");
        assertThat(tunnel.closed).isNotDone();
    }

    /**
     * W is moved from 127.0.0.1 to 127.0.0.2 (another host's address), where a second workspace app
     * listens on the same port. Until then W's tunnels outlive changes that do not move W (its own
     * labels, another workspace's move); the move closes them on both gateways, and the next request
     * reaches the new address.
     */
    @Test
    void tunnelsToAMovedWorkspaceCloseWithinASecondOnBothGatewaysAndNewRequestsReachItsNewAddress() throws Exception {
        String alice = setup.token("alice", "acme");
        String workspace = createWorkspace(host1, lease1, "host-1");
        String other = createWorkspace(host1, lease1, "host-1");
        try (DemoWorkspaceApp newHost = DemoWorkspaceApp.start(ServerSockets.best(),
                new InetSocketAddress(InetAddress.getByName("127.0.0.2"), port()))) {
            Tunnel onGateway1 = openTunnel(gateway1, workspace, alice);
            Tunnel onGateway2 = openTunnel(gateway2, workspace, alice);
            Tunnel toOther = openTunnel(gateway2, other, alice);

            host1.putRoute(new RouteRecord(workspace, "127.0.0.1", "host-1", "alice", "acme", Map.of("env", "dev"),
                    RouteState.RUNNING, List.of(), List.of()), lease1);
            host1.putRoute(RouteRecord.running(other, "127.0.0.2", "host-2", "alice", "acme"), lease1);
            // Closed by the pass that also saw W relabelled: W's tunnels came through it.
            toOther.closed().get(5, TimeUnit.SECONDS);
            assertThat(onGateway2.firstEcho("not moved")).isEqualTo("not moved");
            assertThat(onGateway1.firstEcho("not moved")).isEqualTo("not moved");
            int reachedNewHost = newHost.acceptedConnections();

            long movedAt = System.nanoTime();
            host1.putRoute(RouteRecord.running(workspace, "127.0.0.2", "host-2", "alice", "acme"), lease1);

            onGateway1.closed().get(5, TimeUnit.SECONDS);
            onGateway2.closed().get(5, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - movedAt)).isLessThan(Duration.ofSeconds(1));
            for (GatewayFixture gateway : List.of(gateway1, gateway2)) {
                assertThat(status(gateway, workspace, port(), alice)).isEqualTo(200);
            }
            assertThat(newHost.acceptedConnections()).isGreaterThanOrEqualTo(reachedNewHost + 2);
        }
    }

    /** An open WebSocket tunnel to the demo app's echo. */
    private record Tunnel(WebSocket socket, TunnelWatcher watcher) {
        /** What the workspace echoes to the first text sent. */
        String firstEcho(String text) throws Exception {
            socket.sendText(text, true).get(5, TimeUnit.SECONDS);
            return watcher.firstText.get(5, TimeUnit.SECONDS);
        }

        CompletableFuture<Void> closed() {
            return watcher.closed;
        }
    }

    private static Tunnel openTunnel(GatewayFixture gateway, String workspace, String token) throws Exception {
        TunnelWatcher watcher = new TunnelWatcher();
        WebSocket socket = gateway.httpClient().newWebSocketBuilder().connectTimeout(StoreGateways.TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .buildAsync(URI.create("wss://" + gateway.host(port(), workspace) + ":" + gateway.gatewayPort() + "/echo"),
                        watcher).get(10, TimeUnit.SECONDS);
        return new Tunnel(socket, watcher);
    }

    @Test
    void twoAdminsWritingFromTheSameRevisionGetOneSuccessAndOneConflict() throws Exception {
        String workspace = createWorkspace(host1, lease1, "host-1");
        String alice = setup.token("alice", "acme");
        String orgAdmin = setup.adminToken("carol", "acme");
        HttpResponse<String> first = setup.call(gateway1, "PUT", sharePath(workspace), alice, "{\"level\":\"organization\"}");
        String etag = first.headers().firstValue("ETag").orElseThrow();
        awaitStatus(gateway2, workspace, port(), setup.token("bob", "acme"), status -> status == 200);
        HttpResponse<String> read = setup.call(gateway2, "GET", sharePath(workspace), orgAdmin, null);
        assertThat(read.headers().firstValue("ETag")).contains(etag);

        CompletableFuture<HttpResponse<String>> viaGateway1 = CompletableFuture.supplyAsync(() -> put(gateway1, workspace,
                alice, "{\"level\":\"users\",\"users\":[\"bob\"]}", etag));
        CompletableFuture<HttpResponse<String>> viaGateway2 = CompletableFuture.supplyAsync(() -> put(gateway2, workspace,
                orgAdmin, "{\"level\":\"owner\"}", etag));
        List<HttpResponse<String>> answers = List.of(viaGateway1.get(20, TimeUnit.SECONDS), viaGateway2.get(20, TimeUnit.SECONDS));

        assertThat(answers).extracting(HttpResponse::statusCode).containsExactlyInAnyOrder(200, 409);
        HttpResponse<String> conflict = answers.stream().filter(answer -> answer.statusCode() == 409).findFirst().orElseThrow();
        assertThat(conflict.body()).contains("\"error\":\"conflict\"").contains("changed by someone else")
                .contains("/portcullis/v1/shares/" + workspace + "/" + port()).contains("\"currentRevision\":");
    }

    @Test
    void aStaleOrMalformedIfMatchWritesNothing() throws Exception {
        String workspace = createWorkspace(host1, lease1, "host-1");
        String alice = setup.token("alice", "acme");
        HttpResponse<String> first = put(gateway1, workspace, alice, "{\"level\":\"organization\"}", null);
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(put(gateway1, workspace, alice, "{\"level\":\"owner\"}", etag).statusCode()).isEqualTo(200);

        HttpResponse<String> stale = put(gateway1, workspace, alice, "{\"level\":\"authenticated\"}", etag);
        HttpResponse<String> create = put(gateway1, workspace, alice, "{\"level\":\"authenticated\"}", "\"0\"");
        HttpResponse<String> staleDelete = setup.call(gateway1, "DELETE", sharePath(workspace), alice, null,
                Map.of("If-Match", etag));
        HttpResponse<String> malformed = put(gateway1, workspace, alice, "{\"level\":\"authenticated\"}", "W/\"x\"");

        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(create.statusCode()).isEqualTo(409);
        assertThat(staleDelete.statusCode()).isEqualTo(409);
        assertThat(malformed.statusCode()).isEqualTo(400);
        HttpResponse<String> now = setup.call(gateway1, "GET", sharePath(workspace), alice, null);
        assertThat(now.body()).contains("\"level\":\"owner\"");
    }

    @Test
    void onlyTheOwnerOrAnOrgAdminMayShareAndOnlyAnAdminMaySetThePolicy() throws Exception {
        String workspace = createWorkspace(host1, lease1, "host-1");
        awaitStatus(gateway1, workspace, port(), setup.token("alice", "acme"), status -> status == 200);

        HttpResponse<String> byMember = put(gateway1, workspace, setup.token("bob", "acme"), "{\"level\":\"public\"}", null);
        HttpResponse<String> byOtherOrgAdmin = put(gateway1, workspace, setup.adminToken("mallory", "globex"),
                "{\"level\":\"public\"}", null);
        HttpResponse<String> policyByMember = setup.call(gateway1, "PUT", "/api/v1/policies/acme", setup.token("alice", "acme"),
                "apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: public\n");

        assertThat(byMember.statusCode()).isEqualTo(403);
        assertThat(byOtherOrgAdmin.statusCode()).isEqualTo(403);
        assertThat(policyByMember.statusCode()).isEqualTo(403);
        assertThat(setup.call(gateway2, "GET", "/api/v1/shares/" + workspace, setup.token("alice", "acme"), null).body())
                .contains("\"shares\":[]");
    }

    @Test
    void aPolicyAppliedThroughGateway1NarrowsSharesOnGateway2() throws Exception {
        String workspace = createWorkspace(host2, lease2, "host-2");
        String alice = setup.token("alice", "acme");
        String admin = setup.adminToken("carol", "acme");
        assertThat(put(gateway1, workspace, alice, "{\"level\":\"organization\"}", null).statusCode()).isEqualTo(200);
        String bob = setup.token("bob", "acme");
        awaitStatus(gateway2, workspace, port(), bob, status -> status == 200);

        HttpResponse<String> invalid = setup.call(gateway1, "PUT", "/api/v1/policies/acme?source=acme.yaml", admin,
                "apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: everyone\n");
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(invalid.body()).contains("acme.yaml:5").contains("maxLevel");

        HttpResponse<String> applied = setup.call(gateway1, "PUT", "/api/v1/policies/acme", admin,
                "apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: owner\n");
        try {
            assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
            awaitStatus(gateway2, workspace, port(), bob, status -> status == 403);
            HttpResponse<String> read = setup.call(gateway2, "GET", "/api/v1/policies/acme", admin, null);
            assertThat(read.body()).contains("maxLevel: owner");
            assertThat(read.headers().firstValue("ETag")).isEqualTo(applied.headers().firstValue("ETag"));
        } finally {
            HttpResponse<String> deleted = setup.call(gateway1, "DELETE", "/api/v1/policies/acme", admin, null);
            assertThat(deleted.statusCode()).isEqualTo(204);
        }
        awaitStatus(gateway2, workspace, port(), bob, status -> status == 200);
    }

    @Test
    void aShareMadeThroughOneGatewayIsEnforcedByTheOtherAndRemovedThroughIt() throws Exception {
        String workspace = createWorkspace(host2, lease2, "host-2");
        String bob = setup.token("bob", "acme");
        String alice = setup.token("alice", "acme");
        awaitStatus(gateway2, workspace, port(), bob, status -> status == 403);

        assertThat(put(gateway1, workspace, alice, "{\"level\":\"organization\"}", null).statusCode()).isEqualTo(200);

        awaitStatus(gateway2, workspace, port(), bob, status -> status == 200);
        assertThat(setup.call(gateway2, "DELETE", sharePath(workspace), alice, null, Map.of()).statusCode())
                .isBetween(200, 204);
        awaitStatus(gateway1, workspace, port(), bob, status -> status == 403);
    }

    @Test
    void aCorruptRouteRecordIsSkippedCountedAndFailsClosed() throws Exception {
        String alice = setup.token("alice", "acme");
        String workspace = createWorkspace(host1, lease1, "host-1");
        long skippedBefore = skippedRecords(gateway2);

        host1.keyValues().put(StoreKeys.route(workspace), "{\"version\":1,\"workspaceId\":".getBytes(StandardCharsets.UTF_8),
                KeyValueStore.ANY_REVISION, 0);

        // The old, valid route is dropped too: the bad value may have been a revocation.
        awaitStatus(gateway2, workspace, port(), alice, status -> status == 404);
        awaitStatus(gateway1, workspace, port(), alice, status -> status == 404);
        assertThat(skippedRecords(gateway2)).isGreaterThan(skippedBefore);
        assertThat(setup.get(gateway2.adminUrl("/readyz")).statusCode()).isEqualTo(200);
    }

    @Test
    void aStoreRouteCannotTakeOverAStaticRoute() throws Exception {
        host1.putRoute(RouteRecord.running(GatewayFixture.WORKSPACE, "127.0.0.2", "host-1", "mallory", "evil"), lease1);
        createWorkspace(host1, lease1, "host-1"); // written after mallory's: once it is served, so is hers

        // Were the store's route served, mallory would own it and alice would not.
        assertThat(status(gateway1, GatewayFixture.WORKSPACE, gateway1.workspacePort(), setup.token("mallory", "evil")))
                .isEqualTo(403);
        assertThat(status(gateway1, GatewayFixture.WORKSPACE, gateway1.workspacePort(), setup.token("alice", "acme")))
                .isEqualTo(200);
        host1.deleteRoute(GatewayFixture.WORKSPACE, KeyValueStore.ANY_REVISION);
    }

    private static long skippedRecords(GatewayFixture gateway) throws Exception {
        Matcher sample = Pattern.compile("(?m)^portcullis_store_skipped_records_total (\\S+)$")
                .matcher(setup.get(gateway.adminUrl("/metrics")).body());
        assertThat(sample.find()).isTrue();
        return (long) Double.parseDouble(sample.group(1));
    }

    @Test
    void readinessAndMetricsReportTheStore() throws Exception {
        HttpResponse<String> ready = setup.get(gateway2.adminUrl("/readyz"));
        HttpResponse<String> metrics = setup.get(gateway2.adminUrl("/metrics"));

        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("portcullis_store_ready 1").contains("portcullis_store_revision ")
                .contains("portcullis_store_stale_seconds 0").contains("portcullis_store_reconnects_total ");
    }

    private static HttpResponse<String> put(GatewayFixture gateway, String workspace, String token, String body,
                                            String ifMatch) {
        try {
            return setup.call(gateway, "PUT", sharePath(workspace), token, body,
                    ifMatch == null ? Map.of() : Map.of("If-Match", ifMatch));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
