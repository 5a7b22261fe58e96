package dev.portcullis.gateway.cli;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.demo.DemoWorkspaceApp;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.gateway.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
    /** The demo workspace belongs to this user of this org: the printed token is theirs. */
    static final String OWNER = "alice";
    static final String ORG = "acme";
    static final int ADMIN_PORT = 9090;
    /** Folders under the state folder: the development issuer's key, and the policies and shares. */
    static final String ISSUER_FOLDER = "issuer";
    static final String ACCESS_FOLDER = "access";

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
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(state.resolve(ISSUER_FOLDER));

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
                    .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                    .access(new AccessSettings(Optional.of(state.resolve(ACCESS_FOLDER)), ShareLevel.PUBLIC,
                            DevelopmentIssuer.ADMIN_CLAIM))
                    .routes(RouteTable.of(List.of(WorkspaceRoute.owned(WORKSPACE, loopback, true, Set.of(), OWNER, ORG,
                            Map.of()))));
            listeners(loopback).forEach(config::listen);
            if (!transport.equalsIgnoreCase("auto")) {
                config.transport(chosen);
            }
            GatewayServer gateway = GatewayServer.start(config.build());
            running.add(gateway);
            String token = issuer.mint(new DevelopmentIssuer.Claims(OWNER, OWNER + "@" + ORG + ".example", ORG, List.of(),
                    false, Duration.ofHours(8)));
            printWelcome(app.address().getPort(), gateway.boundAddresses().get(0).getPort(), ca.caCertificate(),
                    gateway.adminAddress().getPort(), token,
                    stateDir != null ? " --state-dir " + shellQuote(state.toAbsolutePath().toString()) : "");
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

    static Path defaultStateDir() {
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("portcullis");
    }

    /** @param stateOption what {@code ./portcullis token} needs to find this demo's issuer key */
    private static void printWelcome(int workspacePort, int gatewayPort, Path caFile, int adminPort, String ownerToken,
                                     String stateOption) {
        String url = "https://" + workspacePort + "-" + WORKSPACE + "." + BASE_DOMAIN + ":" + gatewayPort + "/";
        String ca = shellQuote(caFile.toAbsolutePath().toString());
        String admin = adminPort == ADMIN_PORT ? "" : " --gateway http://127.0.0.1:" + adminPort;
        System.out.printf("""

                Portcullis demo is running.

                  Workspace '%s' of %s (org %s), port %d, through the gateway:
                    %s

                  Try it as %s, the owner (the token is good for 8 hours):
                    curl --cacert %s -H 'Authorization: Bearer %s' %s

                  In a browser, open the URL once with the token; it becomes a cookie for that host only:
                    %s?access_token=%s
                  Trust the demo CA (%s) or accept the warning. A WebSocket echo runs on the page.

                  As bob, a teammate in %s: denied until %s shares the port with the org.
                    BOB=$(./portcullis token --user bob --org %s%s)
                    curl --cacert %s -H "Authorization: Bearer $BOB" %s
                    PORTCULLIS_TOKEN=$(./portcullis token --user %s --org %s%s) ./portcullis share %s %d --level organization%s
                  Then bob's curl answers 200; a user of another org still gets 403 with the reason.
                  Policies and shares: ./portcullis policy --help; docs/policy.md.

                  Metrics and health: http://127.0.0.1:%d/metrics, /healthz, /readyz
                  The development issuer is on: never run a gateway like this in production.

                  Press Ctrl-C to stop.

                """, WORKSPACE, OWNER, ORG, workspacePort, url,
                OWNER, ca, ownerToken, url,
                url, ownerToken, ca,
                ORG, OWNER, ORG, stateOption, ca, url, OWNER, ORG, stateOption, WORKSPACE, workspacePort, admin,
                adminPort);
        System.out.flush();
    }

    private static String shellQuote(String path) {
        return path.matches("[A-Za-z0-9_./-]+") ? path : "'" + path.replace("'", "'\\''") + "'";
    }
}
