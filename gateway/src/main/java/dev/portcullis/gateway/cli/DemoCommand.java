package dev.portcullis.gateway.cli;

import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.demo.DemoWorkspaceApp;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.gateway.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./portcullis demo}: a gateway on {@code https://*.ws.localhost:8443} in front of a demo
 * workspace app on loopback, with a local CA so curl and browsers can verify TLS.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the gateway and a demo workspace on https://*.ws.localhost:8443.")
final class DemoCommand implements Callable<Integer> {
    static final String BASE_DOMAIN = "ws.localhost";
    static final String WORKSPACE = "demo";
    static final int ADMIN_PORT = 9090;

    @Option(names = "--https-port", defaultValue = "8443", description = "Gateway port (0: any free port). Default: ${DEFAULT-VALUE}.")
    int httpsPort;

    @Option(names = "--workspace-port", defaultValue = "3000",
            description = "Port of the demo workspace app; another free one is used if it is taken. Default: ${DEFAULT-VALUE}.")
    int workspacePort;

    @Option(names = "--state-dir", description = "Where the demo keeps its CA and certificates. Default: $XDG_STATE_HOME/portcullis or ~/.local/state/portcullis.")
    Path stateDir;

    @Option(names = "--transport", description = "auto, io_uring, epoll or nio. Default: auto (the best available).")
    String transport = "auto";

    @Override
    public Integer call() throws Exception {
        Transport chosen = transport.equalsIgnoreCase("auto") ? Transport.best()
                : Transport.fromConfigName(transport).orElse(null);
        if (chosen == null || !chosen.isAvailable()) {
            System.err.println("portcullis demo: --transport " + transport + " is not usable here"
                    + (chosen == null ? " (expected: auto, io_uring, epoll or nio)" : ": " + chosen.unavailabilityCause()));
            return 2;
        }
        Path state = stateDir != null ? stateDir : defaultStateDir();
        DemoCertificateAuthority ca = new DemoCertificateAuthority(state.resolve("tls"));
        ca.ensureServerCertificate(BASE_DOMAIN);

        RunningUntilStopped running = new RunningUntilStopped();
        try {
            InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
            DemoWorkspaceApp app = DemoWorkspaceApp.start(chosen,
                    new InetSocketAddress(loopback, isFree(loopback, workspacePort) ? workspacePort : 0));
            running.add(app);
            GatewayConfig.Builder config = GatewayConfig.builder()
                    .adminListen(new InetSocketAddress(loopback, isFree(loopback, ADMIN_PORT) ? ADMIN_PORT : 0))
                    .baseDomain(BASE_DOMAIN)
                    .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                    .routes(RouteTable.of(List.of(new WorkspaceRoute(WORKSPACE, loopback))));
            listeners(loopback).forEach(config::listen);
            if (!transport.equalsIgnoreCase("auto")) {
                config.transport(chosen);
            }
            GatewayServer gateway = GatewayServer.start(config.build());
            running.add(gateway);
            printWelcome(app.address().getPort(), gateway.boundAddresses().get(0).getPort(), ca.caCertificate(),
                    gateway.adminAddress().getPort());
        } catch (IOException | RuntimeException e) {
            running.closeAll();
            System.err.println("portcullis demo: " + e.getMessage());
            return 1;
        }
        running.await();
        return 0;
    }

    /** Loopback over IPv4 and, when the machine has it, IPv6: browsers try {@code ::1} for *.localhost first. */
    private List<InetSocketAddress> listeners(InetAddress loopback) throws IOException {
        List<InetSocketAddress> listeners = new ArrayList<>();
        listeners.add(new InetSocketAddress(loopback, httpsPort));
        InetAddress loopback6 = InetAddress.getByName("::1");
        if (httpsPort != 0 && isFree(loopback6, httpsPort)) {
            listeners.add(new InetSocketAddress(loopback6, httpsPort));
        }
        return listeners;
    }

    private static boolean isFree(InetAddress address, int port) {
        try {
            new ServerSocket(port, 1, address).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path defaultStateDir() {
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("portcullis");
    }

    private static void printWelcome(int workspacePort, int gatewayPort, Path caFile, int adminPort) {
        String url = "https://" + workspacePort + "-" + WORKSPACE + "." + BASE_DOMAIN + ":" + gatewayPort + "/";
        String ca = shellQuote(caFile.toAbsolutePath().toString());
        System.out.printf("""

                Portcullis demo is running.

                  Workspace '%s', port %d, through the gateway:
                    %s

                  Try it:
                    curl --cacert %s %s

                  In a browser, open the URL above. Trust the demo CA (%s) or accept the warning.
                  A WebSocket echo runs on the same page.
                  Metrics and health: http://127.0.0.1:%d/metrics, /healthz, /readyz

                  Press Ctrl-C to stop.

                """, WORKSPACE, workspacePort, url, ca, url, ca, adminPort);
        System.out.flush();
    }

    private static String shellQuote(String path) {
        return path.matches("[A-Za-z0-9_./-]+") ? path : "'" + path.replace("'", "'\\''") + "'";
    }
}
