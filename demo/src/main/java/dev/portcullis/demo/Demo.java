package dev.portcullis.demo;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.demo.workspace.DemoNetworkNames;
import dev.portcullis.demo.workspace.DemoWorkspace;
import dev.portcullis.demo.workspace.DemoWorkspaceSpec;
import dev.portcullis.demo.workspace.LoopbackWorkspace;
import dev.portcullis.demo.workspace.NamespaceUnavailableException;
import dev.portcullis.demo.workspace.NamespaceWorkspace;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.devkit.demo.DemoStateFolder;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running demo: a gateway on {@code https://*.ws.localhost:8443} in front of a demo workspace
 * app, with a local CA so curl and browsers can verify TLS. As root on a machine with network
 * namespaces the app runs inside a workspace network built by the host agent's library; anywhere
 * else (or with {@code noNetns}) on loopback, and the demo says why. The {@code demo} command of
 * the {@code cli} module starts it and keeps it running until Ctrl-C.
 */
public final class Demo implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Demo.class);

    public static final String BASE_DOMAIN = "ws.localhost";
    public static final String WORKSPACE = "demo";
    /** The demo workspace belongs to this user of this org: the printed token is theirs. */
    public static final String OWNER = "alice";
    public static final String ORG = "acme";
    /** The admin port that {@code ./portcullis share} and {@code policy} talk to unless given --gateway. */
    public static final int ADMIN_PORT = 9090;
    public static final int HTTPS_PORT = 8443;
    public static final int IDP_PORT = 8444;
    public static final int WORKSPACE_PORT = 3000;
    /** The agent's desired state and route file, under the state folder. */
    static final String NETNS_FOLDER = "netns";
    static final String SIGNIN_FOLDER = "signin";

    /**
     * How to run it.
     *
     * @param transport   empty: the best this machine has
     * @param stateDir    empty: the demo's default state folder ({@link DemoStateFolder#defaultPath()})
     * @param netnsNames  kernel names of the tests' own, so they never touch a running demo's objects
     */
    public record Options(int httpsPort, int adminPort, int workspacePort, int idpPort, Optional<Transport> transport,
                          Optional<Path> stateDir, boolean noNetns, Optional<DemoNetworkNames> netnsNames) {
        public Options {
            requireNonNull(transport, "transport");
            requireNonNull(stateDir, "stateDir");
            requireNonNull(netnsNames, "netnsNames");
        }
    }

    /** The demo could not start; the message says why (another demo on the folder: which pid, how to stop it). */
    public static final class StartFailed extends Exception {
        StartFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    private Demo() {}

    /** Kernel names of the tests' own: a prefix (2-5 of a-z, 0-9) and the range of the workspace network. */
    public static DemoNetworkNames networkNames(String prefix, String range) {
        return DemoNetworkNames.of(prefix, Ipv4Cidr.parse(range != null ? range : "10.213.254.0/24"));
    }

    /** Starts everything and prints the welcome text (URLs, the curl line, tokens) on {@code out}. */
    public static Demo start(Options options, PrintStream out, PrintStream err) throws StartFailed, InterruptedException {
        requireNonNull(options, "options");
        Path state = options.stateDir().orElseGet(DemoStateFolder::defaultPath);
        Demo demo = new Demo();
        try {
            demo.resources.push(DemoLock.acquire(state));
            demo.run(options, state, out, err);
            return demo;
        } catch (DemoLock.HeldElsewhere | IOException | RuntimeException e) {
            demo.close();
            throw new StartFailed(e.getMessage(), e);
        }
    }

    private void run(Options options, Path state, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        Transport chosen = options.transport().orElseGet(Transport::best);
        DemoCertificateAuthority ca = new DemoCertificateAuthority(state.resolve(DemoStateFolder.TLS));
        ca.ensureServerCertificate(BASE_DOMAIN);
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(state.resolve(DemoStateFolder.ISSUER));

        DemoWorkspace workspace = placeWorkspace(options, chosen, state.resolve(NETNS_FOLDER), err);
        resources.push(workspace);
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        DemoIdentityProvider provider = DemoIdentityProvider.start(state.resolve(SIGNIN_FOLDER),
                isFree(loopback, options.idpPort()) ? options.idpPort() : 0);
        resources.push(provider);
        GatewayConfig.Builder config = GatewayConfig.builder()
                .adminListen(new InetSocketAddress(loopback, isFree(loopback, options.adminPort()) ? options.adminPort() : 0))
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
        listeners(loopback, options.httpsPort()).forEach(config::listen);
        options.transport().ifPresent(config::transport);
        GatewayServer gateway = GatewayServer.start(config.build());
        resources.push(gateway);
        String token = issuer.mint(new DevelopmentIssuer.Claims(OWNER, OWNER + "@" + ORG + ".example", ORG, List.of(),
                false, Duration.ofHours(8)));
        // The demo provider's people carry no admin claim (DemoIdentityTest): the org's admin signs in
        // to the console with a one-time link of the development issuer, whose key the operator holds.
        String adminToken = issuer.mint(new DevelopmentIssuer.Claims(OWNER, OWNER + "@" + ORG + ".example", ORG,
                List.of(), true, Duration.ofHours(1)));
        new WelcomeText(workspace, gateway.boundAddresses().get(0).getPort(), ca.caCertificate(),
                gateway.adminAddress().getPort(), token, adminToken, options.stateDir().isPresent() ? state : null).print(out);
    }

    /** In a workspace network namespace where this machine allows one, else on loopback with the reason. */
    private static DemoWorkspace placeWorkspace(Options options, Transport chosen, Path netnsState, PrintStream err)
            throws InterruptedException {
        DemoWorkspaceSpec spec = new DemoWorkspaceSpec(WorkspaceId.of(WORKSPACE), OWNER, ORG, options.workspacePort());
        if (options.noNetns()) {
            return LoopbackWorkspace.start(chosen, spec, "--no-netns was given");
        }
        try {
            return NamespaceWorkspace.start(netnsState, options.netnsNames().orElse(DemoNetworkNames.DEMO), spec,
                    note -> err.println("portcullis demo: " + note));
        } catch (NamespaceUnavailableException e) {
            return LoopbackWorkspace.start(chosen, spec, e.getMessage());
        }
    }

    /** Loopback over IPv4 and, when the machine has it, IPv6: browsers try {@code ::1} for *.localhost first. */
    private static List<InetSocketAddress> listeners(InetAddress loopback, int httpsPort) throws IOException {
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

    /** Stops everything newest first: the gateway before the workspace it proxies to, the lock last. */
    @Override
    public void close() {
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Could not close {} cleanly", resource, e);
            }
        }
    }
}
