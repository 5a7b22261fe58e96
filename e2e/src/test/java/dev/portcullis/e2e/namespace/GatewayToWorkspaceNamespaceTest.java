package dev.portcullis.e2e.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.route.FileRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
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
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole host path, for real: the agent builds a workspace's namespace and publishes its route
 * to its route file; a gateway watching that file routes a request over TLS to an app listening
 * inside the namespace; deleting the workspace makes the gateway answer 404 again.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GatewayToWorkspaceNamespaceTest {
    private static final int APP_PORT = 3000;

    @TempDir
    Path temp;

    @Test
    void workspaceCreatedByTheAgentIsReachableThroughTheGatewayUntilDeleted() throws Exception {
        RootNetworking.assumeAvailable();
        Path routeFile = temp.resolve("routes.json");
        DemoCertificateAuthority ca = new DemoCertificateAuthority(temp.resolve("tls"));
        ca.ensureServerCertificate("ws.localhost");
        try (TestHost host = new TestHost("10.213.48.0/28")) {
            WorkspaceNetworks agent = new WorkspaceNetworks(host.config().allowHostToWorkspaces(true).routeFile(routeFile).build(),
                    new ProcessCommandRunner(), new FileRouteSink(routeFile), StepListener.NONE, Clock.systemUTC());
            agent.start();
            WorkspaceStatus workspace = agent.create(new WorkspaceSpec(WorkspaceId.of("e2e"), "alice", "acme", Optional.empty(), 0));
            Process app = startAppInside(workspace.namespace());
            InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
            GatewayConfig config = GatewayConfig.builder()
                    .listen(new InetSocketAddress(loopback, 0))
                    .adminListen(new InetSocketAddress(loopback, 0))
                    .baseDomain("ws.localhost")
                    .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                    .routeFile(routeFile)
                    .workspaceAddressRanges(List.of(AddressRange.parse("10.213.48.0/28")))
                    .eventLoopThreads(1)
                    .build();
            try (GatewayServer gateway = GatewayServer.start(config)) {
                int port = gateway.boundAddresses().get(0).getPort();
                SSLContext client = GatewayRequests.trusting(ca.caCertificate());

                String answer = GatewayRequests.get(client, port, APP_PORT + "-e2e.ws.localhost", "");
                assertThat(answer).startsWith("HTTP/1.1 200 ").contains(DemoWorkspaceApp.PAGE_TITLE);
                // Inside its namespace the app learns who called from the gateway's header, not its socket.
                assertThat(answer).contains("X-Forwarded-For: 127.0.0.1");

                agent.delete(WorkspaceId.of("e2e"));
                // The gateway polls the route file.
                Awaitility.await("route withdrawn").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                        .until(() -> gateway.currentRoutes().lookup("e2e") == null);
                assertThat(GatewayRequests.get(client, port, APP_PORT + "-e2e.ws.localhost", "")).as("after delete")
                        .startsWith("HTTP/1.1 404 ").contains("unknown-workspace");
            } finally {
                app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                agent.removeEverything();
            }
        }
    }

    /** The demo workspace app as its own JVM inside the namespace, like a workspace's dev server. */
    private static Process startAppInside(String namespace) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process app = new ProcessBuilder("ip", "netns", "exec", namespace, java, "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), DemoWorkspaceApp.class.getName(), Integer.toString(APP_PORT))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
        String ready = out.readLine();
        while (ready != null && !ready.startsWith("listening ")) {
            ready = out.readLine(); // logging's own start-up notes may come first
        }
        assertThat(ready).as("the app in " + namespace + " started").isEqualTo("listening " + APP_PORT);
        return app;
    }
}
