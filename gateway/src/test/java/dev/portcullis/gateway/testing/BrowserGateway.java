package dev.portcullis.gateway.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.tls.PemFiles;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A real gateway with access enforced, for real-browser tests, under a base domain that sits below
 * a public suffix ({@code ws.example.com}: {@code example.com} is the registrable domain), so the
 * browser treats all port hosts as one site, as it does in production; Chromium resolves those names
 * to loopback by a host-resolver rule and trusts the test CA by its key hash. Workspaces
 * {@code wsa} and {@code wsb} belong to alice in acme; {@code sleeping} is stopped.
 */
public final class BrowserGateway implements AutoCloseable {
    public static final String BASE_DOMAIN = "ws.example.com";
    public static final String STOPPED_WORKSPACE = "sleeping";

    private final GatewayServer server;
    private final DevelopmentIssuer issuer;
    private final String caSpki;

    private BrowserGateway(GatewayServer server, DevelopmentIssuer issuer, String caSpki) {
        this.server = server;
        this.issuer = issuer;
        this.caSpki = caSpki;
    }

    public static BrowserGateway start(Path state) throws Exception {
        HeadlessChromium.assumeAvailable();
        Transport transport = Transport.best();
        assumeTrue(transport.isAvailable(), () -> "no transport: " + transport.unavailabilityCause());
        DemoCertificateAuthority ca = new DemoCertificateAuthority(state.resolve("tls"));
        ca.ensureServerCertificate(BASE_DOMAIN);
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        GatewayConfig config = GatewayConfig.builder()
                .listen(new InetSocketAddress(loopback, 0))
                .redirectListen(new InetSocketAddress(loopback, 0))
                .adminListen(new InetSocketAddress(loopback, 0))
                .transport(transport)
                .baseDomain(BASE_DOMAIN)
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                .timeouts(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(20),
                        Duration.ofMinutes(1)))
                .limits(new Limits(1000, 0, Duration.ofSeconds(2)))
                .eventLoopThreads(1)
                .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                // The test apps are servers on loopback, named here on purpose (docs/configuration.md).
                .workspaceAddressRanges(List.of(AddressRange.parse("127.0.0.0/8")))
                .routes(RouteTable.of(List.of(
                        WorkspaceRoute.owned("wsa", loopback, true, Set.of(), "alice", "acme", Map.of()),
                        WorkspaceRoute.owned("wsb", loopback, true, Set.of(), "alice", "acme", Map.of()),
                        WorkspaceRoute.owned(STOPPED_WORKSPACE, loopback, false, Set.of(), "alice", "acme", Map.of()))))
                .build();
        String spki = HeadlessChromium.spkiSha256(PemFiles.readCertificates(ca.caCertificate()).get(0));
        return new BrowserGateway(GatewayServer.start(config), issuer, spki);
    }

    /** A browser that resolves the base domain to this gateway and trusts its CA; {@code width} x {@code height}. */
    public HeadlessChromium browser(int width, int height) {
        return HeadlessChromium.builder()
                .trustingSpki(caSpki)
                .argument("--host-resolver-rules=MAP *." + BASE_DOMAIN + " 127.0.0.1")
                .windowSize(width, height)
                .start();
    }

    public int port() {
        return server.boundAddresses().get(0).getPort();
    }

    /** {@code https://<port>-<workspace>.ws.example.com:<gateway port>} */
    public String origin(int workspacePort, String workspace) {
        return "https://" + workspacePort + "-" + workspace + "." + BASE_DOMAIN + ":" + port();
    }

    /** The URL that signs {@code user} in on that port host, by today's one-time {@code ?access_token=} link. */
    public String signInUrl(int workspacePort, String workspace, String path, String user, String org) {
        String token = issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), false, Duration.ofMinutes(10)));
        return origin(workspacePort, workspace) + path + (path.contains("?") ? "&" : "?") + "access_token=" + token;
    }

    /** The gateway's Prometheus metrics as its admin listener serves them (the series without a workspace label). */
    public String metrics() throws java.io.IOException, InterruptedException {
        InetSocketAddress admin = server.adminAddress();
        try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient()) {
            return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://" + admin.getAddress().getHostAddress() + ":" + admin.getPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    public AccessState access() {
        return server.accessState().orElseThrow();
    }

    @Override
    public void close() {
        server.close();
    }
}
