package dev.portcullis.gateway.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.tls.PemFiles;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real gateway in front of the demo workspace app, both on loopback ports the OS chose, over the
 * given transport. Workspace {@code demo} is routed to the app; {@link #url} builds real port URLs.
 */
public final class GatewayFixture implements AutoCloseable {
    public static final String BASE_DOMAIN = "ws.localhost";
    public static final String WORKSPACE = "demo";
    /** Who owns {@link #WORKSPACE}, and its org: what access decisions are made against. */
    public static final String OWNER = "alice";
    public static final String ORG = "acme";
    /** A workspace whose route says it is stopped. */
    public static final String STOPPED_WORKSPACE = "sleeping";
    /** The token that reads every metric on the admin listener ({@link #scrapeMetrics}). */
    public static final String ADMIN_READ_TOKEN = "fixture-admin-read-token-0123456789";

    private final DemoWorkspaceApp app;
    private final GatewayServer gateway;
    private final SSLContext clientTls;

    private GatewayFixture(DemoWorkspaceApp app, GatewayServer gateway, SSLContext clientTls) {
        this.app = app;
        this.gateway = gateway;
        this.clientTls = clientTls;
    }

    /** Starts the pair on {@code transport}, or skips the test, saying why, when this machine lacks it. */
    public static GatewayFixture start(Transport transport, Path stateDir) throws Exception {
        return start(transport, stateDir, config -> { });
    }

    /** As {@link #start(Transport, Path)}, with the config changed by {@code customize} before it is built. */
    public static GatewayFixture start(Transport transport, Path stateDir, Consumer<GatewayConfig.Builder> customize)
            throws Exception {
        assumeTrue(transport.isAvailable(),
                () -> "transport " + transport.configName() + " is not available here: " + transport.unavailabilityCause());
        DemoCertificateAuthority ca = new DemoCertificateAuthority(stateDir.resolve("tls"));
        ca.ensureServerCertificate(BASE_DOMAIN);
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        DemoWorkspaceApp app = DemoWorkspaceApp.start(TransportSockets.of(transport), new InetSocketAddress(loopback, 0));
        try {
            GatewayConfig.Builder config = GatewayConfig.builder()
                    .listen(new InetSocketAddress(loopback, 0))
                    .redirectListen(new InetSocketAddress(loopback, 0))
                    .adminListen(new InetSocketAddress(loopback, 0))
                    .transport(transport)
                    .baseDomain(BASE_DOMAIN)
                    .tls(demoTls(stateDir))
                    .timeouts(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(20),
                            Duration.ofMinutes(1)))
                    .limits(new Limits(1000, 0, Duration.ofSeconds(2)))
                    .adminReadTokenFile(Files.writeString(stateDir.resolve("admin-read-token"), ADMIN_READ_TOKEN))
                    .eventLoopThreads(1)
                    // The test backends listen on loopback: named on purpose, as a development config must.
                    .workspaceAddressRanges(List.of(AddressRange.parse("127.0.0.0/8")))
                    .routes(RouteTable.of(List.of(WorkspaceRoute.owned(WORKSPACE, loopback, true, Set.of(), OWNER, ORG, Map.of()),
                            new WorkspaceRoute(STOPPED_WORKSPACE, loopback, false, Set.of()))));
            customize.accept(config);
            return new GatewayFixture(app, GatewayServer.start(config.build()), trusting(ca.caCertificate()));
        } catch (Exception e) {
            app.close();
            throw e;
        }
    }

    /** The TLS settings the fixture starts with: the demo CA's certificate for {@link #BASE_DOMAIN}, in {@code stateDir/tls}. */
    public static GatewayConfig.TlsSettings demoTls(Path stateDir) {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(stateDir.resolve("tls"));
        return GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey()));
    }

    public int gatewayPort() {
        return gateway.boundAddresses().get(0).getPort();
    }

    /** The admin listener: /healthz, /readyz, /metrics. */
    public URI adminUrl(String path) {
        return URI.create("http://127.0.0.1:" + gateway.adminAddress().getPort() + path);
    }

    /** Every metric, read with the admin read token (anonymous scrapes see no workspace ids). */
    public String scrapeMetrics() throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(adminUrl("/metrics"))
                        .header("Authorization", "Bearer " + ADMIN_READ_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The plain-HTTP listener that redirects to HTTPS. */
    public int redirectPort() {
        return gateway.boundRedirectAddresses().get(0).getPort();
    }

    /** Connections the demo workspace accepted so far. */
    public int workspaceConnections() {
        return app.acceptedConnections();
    }

    /** Requests the demo workspace received so far, over new or pooled connections. */
    public long workspaceRequests() {
        return app.receivedRequests();
    }

    public int workspacePort() {
        return app.address().getPort();
    }

    public String host(int port, String workspace) {
        return port + "-" + workspace + "." + BASE_DOMAIN;
    }

    /** {@code https://<port>-<workspace>.ws.localhost:<gateway port><path>} */
    public URI url(int port, String workspace, String path) {
        return URI.create("https://" + host(port, workspace) + ":" + gatewayPort() + path);
    }

    /** The demo workspace app's URL for {@code path}. */
    public URI url(String path) {
        return url(workspacePort(), WORKSPACE, path);
    }

    public SSLContext clientTls() {
        return clientTls;
    }

    public HttpClient httpClient() {
        return HttpClient.newBuilder().sslContext(clientTls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The gateway itself, for tests of its lifecycle. */
    public GatewayServer server() {
        return gateway;
    }

    @Override
    public void close() {
        gateway.close();
        app.close();
    }

    /** A client TLS context that trusts the CAs in {@code caFiles} and nothing else. */
    public static SSLContext trusting(Path... caFiles) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        for (Path caFile : caFiles) {
            X509Certificate ca = PemFiles.readCertificates(caFile).get(0);
            trust.setCertificateEntry(caFile.toString(), ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** A port on loopback where nothing listens (bound, then released). */
    public static int unusedPort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
            return socket.getLocalPort();
        }
    }
}
