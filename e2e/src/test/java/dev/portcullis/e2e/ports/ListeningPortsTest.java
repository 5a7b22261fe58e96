package dev.portcullis.e2e.ports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.KernelNames;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.ports.ListeningPortWatcher;
import dev.portcullis.agent.route.StoreRouteSink;
import dev.portcullis.agent.testing.ProbeProcess;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.e2e.testing.GatewayRequests;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.store.etcd.EtcdStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listening ports of a real workspace namespace, end to end: the agent builds the namespace and
 * publishes its route to etcd; a listener starts inside and the route carries its port within a
 * second; a gateway on the same store answers "not served yet" at once for a port nobody listens on
 * and relays to the one that listens; the listener stops and its port leaves the route as fast.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ListeningPortsTest {
    private static final Duration SCAN = Duration.ofMillis(500);
    /** Scan interval plus the scan and the store's write and watch: what "within a second" allows. */
    private static final Duration SEEN_WITHIN = Duration.ofSeconds(1);
    private static final String RANGE = "10.213.178.0/28";
    private static final int APP_PORT = 4321;
    private static final int UNLISTENED_PORT = 4322;

    @TempDir
    Path temp;

    private TestHost host;
    private WorkspaceNetworks agent;
    private EtcdCluster etcd;
    private StoreRouteSink routes;
    private ListeningPortWatcher watcher;
    private Process keeper;

    @BeforeEach
    void start() {
        RootNetworking.assumeAvailable();
        host = new TestHost(RANGE);
        etcd = EtcdCluster.start(1);
        routes = new StoreRouteSink(new ControlPlaneStore(EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5))),
                Duration.ofSeconds(10));
        agent = new WorkspaceNetworks(host.config().allowHostToWorkspaces(true).build(), new ProcessCommandRunner(), routes,
                StepListener.NONE, Clock.systemUTC());
        agent.start();
        watcher = new ListeningPortWatcher(routes, new KernelNames(host.config().build())::namespace, Path.of("/run/netns"))
                .start(SCAN);
    }

    @AfterEach
    void stop() throws Exception {
        if (keeper != null) {
            keeper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (watcher != null) {
            watcher.close();
        }
        TestHost.cleanUp(host, agent);
        if (routes != null) {
            routes.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void aListenerIsPublishedWithinASecondOfListeningAndWithdrawnWithinASecondOfStopping() throws Exception {
        WorkspaceStatus workspace = agent.create(new WorkspaceSpec(WorkspaceId.of("ports1"), "alice", "acme", Optional.empty(), 0));
        try (EtcdStore reader = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5))) {
            ControlPlaneStore store = new ControlPlaneStore(reader);
            await("no process yet, so nothing listens").atMost(SEEN_WITHIN)
                    .until(() -> listening(store, "ports1"), ports -> ports != null && ports.isEmpty());
            // A process that stays in the namespace, so the table is read even when nothing listens.
            keeper = new ProcessBuilder("ip", "netns", "exec", workspace.namespace(), "sleep", "600").start();

            try (ProbeProcess app = new ProbeProcess(workspace.namespace(), APP_PORT)) {
                app.awaitReady();
                long listened = System.nanoTime();
                await("the port published").atMost(SEEN_WITHIN)
                        .until(() -> listening(store, "ports1"), ports -> List.of(APP_PORT).equals(ports));
                System.out.printf("listening port published %d ms after the listener was bound%n",
                        (System.nanoTime() - listened) / 1_000_000);
                assertThat(watcher.ports().get("ports1")).containsExactly(APP_PORT);
            }
            long stopped = System.nanoTime();
            await("the port withdrawn").atMost(SEEN_WITHIN)
                    .until(() -> listening(store, "ports1"), ports -> ports != null && ports.isEmpty());
            System.out.printf("stopped listener withdrawn %d ms after the process was killed%n",
                    (System.nanoTime() - stopped) / 1_000_000);
        }
    }

    @Test
    void theGatewayAnswersNotServedYetAtOnceForAPortNobodyListensOn() throws Exception {
        WorkspaceStatus workspace = agent.create(new WorkspaceSpec(WorkspaceId.of("ports2"), "alice", "acme", Optional.empty(), 0));
        DemoCertificateAuthority ca = new DemoCertificateAuthority(temp.resolve("tls"));
        ca.ensureServerCertificate("ws.localhost");
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        GatewayConfig config = GatewayConfig.builder()
                .listen(new InetSocketAddress(loopback, 0))
                .adminListen(new InetSocketAddress(loopback, 0))
                .baseDomain("ws.localhost")
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                .store(StoreSettings.etcd(etcd.endpoints()))
                .workspaceAddressRanges(List.of(AddressRange.parse(RANGE)))
                .eventLoopThreads(1)
                .build();
        try (GatewayServer gateway = GatewayServer.start(config);
             ProbeProcess app = new ProbeProcess(workspace.namespace(), APP_PORT)) {
            app.awaitReady();
            await("the gateway knows the port").atMost(SEEN_WITHIN).until(() -> {
                WorkspaceRoute route = gateway.currentRoutes().lookup("ports2");
                return route != null && Set.of(APP_PORT).equals(route.listeningPorts());
            });
            int port = gateway.boundAddresses().get(0).getPort();
            SSLContext client = GatewayRequests.trusting(ca.caCertificate());

            String page = GatewayRequests.get(client, port, UNLISTENED_PORT + "-ports2.ws.localhost",
                    "Sec-Fetch-Mode: navigate\r\n");
            assertThat(page).startsWith("HTTP/1.1 503 ").contains("This port is not served yet")
                    .contains("portcullis-retry");

            long asked = System.nanoTime(); // the client's TLS is warm now: this times the gateway's answer
            String notServed = GatewayRequests.get(client, port, UNLISTENED_PORT + "-ports2.ws.localhost", "");
            long tookMillis = (System.nanoTime() - asked) / 1_000_000;

            assertThat(notServed).startsWith("HTTP/1.1 503 ").contains("retry-after: 2")
                    .contains("\"error\":\"port-not-served-yet\"");
            assertThat(tookMillis).as("answered without trying the workspace").isLessThan(500);
            // The listening port is relayed to the app in the namespace (it closes without an HTTP answer: a 502
            // that comes from a connection the workspace accepted, not from a refused one).
            assertThat(GatewayRequests.get(client, port, APP_PORT + "-ports2.ws.localhost", ""))
                    .doesNotContain("port-not-served-yet");
        }
    }

    private static List<Integer> listening(ControlPlaneStore store, String workspace) {
        var route = store.snapshot().routes().get(workspace);
        return route == null ? null : route.value().listeningPorts();
    }
}
