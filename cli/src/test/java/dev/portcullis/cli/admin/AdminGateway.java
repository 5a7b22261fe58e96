package dev.portcullis.cli.admin;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.policy.ShareLevel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A real gateway for the commands that talk to its admin API: the development issuer, policies and
 * shares on, workspace {@value #WORKSPACE} of alice in acme routed to loopback (no app behind it: the
 * commands only ask the admin listener).
 */
public final class AdminGateway implements AutoCloseable {
    public static final String BASE_DOMAIN = "ws.localhost";
    public static final String WORKSPACE = "demo";

    private final DevelopmentIssuer issuer;
    private final GatewayServer gateway;

    private AdminGateway(DevelopmentIssuer issuer, GatewayServer gateway) {
        this.issuer = issuer;
        this.gateway = gateway;
    }

    public static AdminGateway start(Path state) throws Exception {
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        DemoCertificateAuthority ca = new DemoCertificateAuthority(state.resolve("tls"));
        ca.ensureServerCertificate(BASE_DOMAIN);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        GatewayConfig config = GatewayConfig.builder()
                .listen(new InetSocketAddress(loopback, 0))
                .adminListen(new InetSocketAddress(loopback, 0))
                .baseDomain(BASE_DOMAIN)
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                .access(new AccessSettings(Optional.of(state.resolve("access")), ShareLevel.PUBLIC, DevelopmentIssuer.ADMIN_CLAIM))
                .eventLoopThreads(1)
                .workspaceAddressRanges(List.of(AddressRange.parse("127.0.0.0/8")))
                .routes(RouteTable.of(List.of(WorkspaceRoute.owned(WORKSPACE, loopback, true, Set.of(), "alice", "acme", Map.of()))))
                .build();
        return new AdminGateway(issuer, GatewayServer.start(config));
    }

    /** The admin listener's URL, for {@code --gateway}. */
    public String adminUrl() {
        return "http://127.0.0.1:" + gateway.adminAddress().getPort();
    }

    public String token(String user, String org, boolean admin) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), admin, Duration.ofMinutes(5)));
    }

    @Override
    public void close() {
        gateway.close();
    }
}
