package dev.portcullis.demo;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.demo.workspace.DemoNetworkNames;
import dev.portcullis.demo.workspace.DemoWorkspace;
import dev.portcullis.demo.workspace.DemoWorkspaceSpec;
import dev.portcullis.demo.workspace.LoopbackWorkspace;
import dev.portcullis.demo.workspace.NamespaceUnavailableException;
import dev.portcullis.demo.workspace.NamespaceWorkspace;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.cli.RunningUntilStopped;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.devkit.demo.DemoStateFolder;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./portcullis demo}: a gateway on {@code https://*.ws.localhost:8443} in front of a demo
 * workspace app, with a local CA so curl and browsers can verify TLS. As root on a machine with
 * network namespaces the app runs inside a workspace network built by the host agent's library;
 * anywhere else (or with {@code --no-netns}) on loopback, and the demo says why.
 */
@Command(name = "portcullis demo", mixinStandardHelpOptions = true,
        description = "Run the gateway and a demo workspace on https://*.ws.localhost:8443.")
public final class DemoCommand implements Callable<Integer> {
    static final String BASE_DOMAIN = "ws.localhost";
    static final String WORKSPACE = "demo";
    /** The demo workspace belongs to this user of this org: the printed token is theirs. */
    static final String OWNER = "alice";
    static final String ORG = "acme";
    /** The admin port that {@code ./portcullis share} and {@code policy} talk to unless given --gateway. */
    static final int ADMIN_PORT = 9090;
    /** The agent's desired state and route file, under the state folder. */
    static final String NETNS_FOLDER = "netns";
    static final String SIGNIN_FOLDER = "signin";
    static final String LOGBACK_CONFIG = "logback.configurationFile";

    @Option(names = "--https-port", defaultValue = "8443", description = "Gateway port (0: any free port). Default: ${DEFAULT-VALUE}.")
    int httpsPort;

    @Option(names = "--admin-port", defaultValue = "" + ADMIN_PORT,
            description = "Port of the admin listener (metrics, health, the policy and share API) on 127.0.0.1; another free one is used if it is taken (0: any). Default: ${DEFAULT-VALUE}.")
    int adminPort;

    @Option(names = "--workspace-port", defaultValue = "3000",
            description = "Port of the demo workspace app; on loopback another free one is used if it is taken. Default: ${DEFAULT-VALUE}.")
    int workspacePort;

    @Option(names = "--state-dir", description = "Where the demo keeps its CA, keys and workspace network state. Default: $XDG_STATE_HOME/portcullis or ~/.local/state/portcullis.")
    Path stateDir;

    @Option(names = "--transport", description = "auto, io_uring, epoll or nio. Default: auto (the best available).")
    String transport = "auto";

    @Option(names = "--idp-port", defaultValue = "8444",
            description = "Port of the demo's identity provider on 127.0.0.1 (0: any free port). Default: ${DEFAULT-VALUE}.")
    int idpPort;

    @Option(names = "--no-netns", description = "Run the workspace on loopback even where it could have a network namespace.")
    boolean noNetns;

    /** The demo's tests run demos with names of their own, so they never touch a running demo's objects. */
    @Option(names = "--netns-names", hidden = true, description = "Kernel name prefix (2-5 of a-z, 0-9) instead of the demo's own.")
    String netnsNames;

    @Option(names = "--netns-range", hidden = true, description = "The workspace network's range with --netns-names.")
    String netnsRange;

    public static void main(String[] args) {
        useTheGatewaysLogging();
        int exitCode = new CommandLine(new DemoCommand()).execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    /**
     * The gateway's and the agent's jars each carry a logback.xml; logback would pick one of them by
     * class path order and print a warning about the other. The demo is mostly a gateway: its config.
     */
    static void useTheGatewaysLogging() {
        if (System.getProperty(LOGBACK_CONFIG) != null) {
            return; // the user chose one
        }
        String location = GatewayServer.class.getProtectionDomain().getCodeSource().getLocation().toString();
        System.setProperty(LOGBACK_CONFIG, location.endsWith(".jar") ? "jar:" + location + "!/logback.xml"
                : location + "logback.xml");
    }

    @Override
    public Integer call() throws Exception {
        Transport chosen = transport.equalsIgnoreCase("auto") ? Transport.best()
                : Transport.fromConfigName(transport).orElse(null);
        if (chosen == null || !chosen.isAvailable()) {
            System.err.println("portcullis demo: --transport " + transport + " is not usable here"
                    + (chosen == null ? " (expected: auto, io_uring, epoll or nio)" : ": " + chosen.unavailabilityCause()));
            return 2;
        }
        Path state = stateDir != null ? stateDir : DemoStateFolder.defaultPath();
        DemoLock lock;
        try {
            lock = DemoLock.acquire(state);
        } catch (DemoLock.HeldElsewhere | IOException e) {
            System.err.println("portcullis demo: " + e.getMessage());
            return 1;
        }
        try (lock) {
            return run(chosen, state);
        }
    }

    private int run(Transport chosen, Path state) throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(state.resolve(DemoStateFolder.TLS));
        ca.ensureServerCertificate(BASE_DOMAIN);
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(state.resolve(DemoStateFolder.ISSUER));

        RunningUntilStopped running = new RunningUntilStopped();
        try {
            DemoWorkspace workspace = placeWorkspace(chosen, state.resolve(NETNS_FOLDER));
            running.add(workspace);
            InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
            DemoIdentityProvider provider = DemoIdentityProvider.start(state.resolve(SIGNIN_FOLDER),
                    isFree(loopback, idpPort) ? idpPort : 0);
            running.add(provider);
            GatewayConfig.Builder config = GatewayConfig.builder()
                    .adminListen(new InetSocketAddress(loopback, isFree(loopback, adminPort) ? adminPort : 0))
                    .baseDomain(BASE_DOMAIN)
                    .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                    .identity(provider.identityWith(issuer))
                    .access(new AccessSettings(Optional.of(state.resolve(DemoStateFolder.ACCESS)), ShareLevel.PUBLIC,
                            DevelopmentIssuer.ADMIN_CLAIM))
                    // Browsers sign in at the demo provider's login page; sessions live in the access folder.
                    .signIn(SignInSettings.of(provider.issuer(), DemoIdentityProvider.CLIENT_ID,
                                    new SignInSettings.ClientAuth.Secret(DemoIdentityProvider.CLIENT_SECRET))
                            .withFiles(Optional.of(state.resolve(SIGNIN_FOLDER).resolve("signin-key.json")),
                                    Optional.empty()));
            workspace.routeTo(config);
            listeners(loopback).forEach(config::listen);
            if (!transport.equalsIgnoreCase("auto")) {
                config.transport(chosen);
            }
            GatewayServer gateway = GatewayServer.start(config.build());
            running.add(gateway);
            String token = issuer.mint(new DevelopmentIssuer.Claims(OWNER, OWNER + "@" + ORG + ".example", ORG, List.of(),
                    false, Duration.ofHours(8)));
            // The demo provider's people carry no admin claim (DemoIdentityTest): the org's admin signs in
            // to the console with a one-time link of the development issuer, whose key the operator holds.
            String adminToken = issuer.mint(new DevelopmentIssuer.Claims(OWNER, OWNER + "@" + ORG + ".example", ORG,
                    List.of(), true, Duration.ofHours(1)));
            new WelcomeText(workspace, gateway.boundAddresses().get(0).getPort(), ca.caCertificate(),
                    gateway.adminAddress().getPort(), token, adminToken, stateDir != null ? state : null).print(System.out);
        } catch (IOException | RuntimeException e) {
            running.closeAll();
            System.err.println("portcullis demo: " + e.getMessage());
            return 1;
        }
        running.await();
        return 0;
    }

    /** In a workspace network namespace where this machine allows one, else on loopback with the reason. */
    private DemoWorkspace placeWorkspace(Transport chosen, Path netnsState) throws InterruptedException {
        DemoWorkspaceSpec spec = new DemoWorkspaceSpec(WorkspaceId.of(WORKSPACE), OWNER, ORG, workspacePort);
        if (noNetns) {
            return LoopbackWorkspace.start(chosen, spec, "--no-netns was given");
        }
        try {
            return NamespaceWorkspace.start(netnsState, networkNames(), spec, note -> System.err.println("portcullis demo: " + note));
        } catch (NamespaceUnavailableException e) {
            return LoopbackWorkspace.start(chosen, spec, e.getMessage());
        }
    }

    private DemoNetworkNames networkNames() {
        if (netnsNames == null) {
            return DemoNetworkNames.DEMO;
        }
        return DemoNetworkNames.of(netnsNames, Ipv4Cidr.parse(netnsRange != null ? netnsRange : "10.213.254.0/24"));
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
}
