package dev.portcullis.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.ssl.OpenSsl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which certificate a client gets: chosen by SNI, reloaded from changed files without a restart. */
class CertificateServingTest {
    @TempDir
    Path state;

    @ParameterizedTest
    @EnumSource(value = GatewayConfig.TlsProvider.class, names = {"OPENSSL", "JDK"})
    void sniChoosesTheCertificateOfTheRequestedDomain(GatewayConfig.TlsProvider provider) throws Exception {
        assumeTrue(provider != GatewayConfig.TlsProvider.OPENSSL || OpenSsl.isAvailable(),
                () -> "netty-tcnative does not load here: " + OpenSsl.unavailabilityCause());
        DemoCertificateAuthority us = new DemoCertificateAuthority(state.resolve("us"));
        us.ensureServerCertificate("us.localhost");
        DemoCertificateAuthority eu = new DemoCertificateAuthority(state.resolve("eu"));
        eu.ensureServerCertificate("eu.localhost");
        GatewayConfig config = baseConfig()
                .baseDomain("us.localhost").baseDomain("eu.localhost")
                .tls(new GatewayConfig.TlsSettings(List.of(files(us), files(eu)), provider, Duration.ofSeconds(5)))
                .build();
        try (GatewayServer gateway = GatewayServer.start(config)) {
            Path[] client = {us.caCertificate(), eu.caCertificate()};
            int port = gateway.boundAddresses().get(0).getPort();

            assertThat(leafNames(client, port, "3000-a.eu.localhost")).contains("*.eu.localhost");
            assertThat(leafNames(client, port, "3000-a.us.localhost")).contains("*.us.localhost");
            assertThat(leafNames(client, port, "unknown.example")).as("first certificate for other names")
                    .contains("*.us.localhost");
        }
    }

    @Test
    void changedCertificateFilesServeNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
        DemoCertificateAuthority first = new DemoCertificateAuthority(state.resolve("first"));
        first.ensureServerCertificate("ws.localhost");
        DemoCertificateAuthority second = new DemoCertificateAuthority(state.resolve("second"));
        second.ensureServerCertificate("ws.localhost");
        Path live = Files.createDirectories(state.resolve("live"));
        install(first, live);
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        GatewayConfig config = baseConfig().baseDomain("ws.localhost")
                .tls(new GatewayConfig.TlsSettings(List.of(new GatewayConfig.TlsFiles(live.resolve("chain.pem"),
                        live.resolve("key.pem"))), GatewayConfig.TlsProvider.AUTO, Duration.ofMillis(100)))
                .build();
        Path[] client = {first.caCertificate(), second.caCertificate()};
        try (DemoWorkspaceApp app = DemoWorkspaceApp.start(ServerSockets.nio(), new InetSocketAddress(loopback, 0));
             GatewayServer gateway = GatewayServer.start(config)) {
            int port = gateway.boundAddresses().get(0).getPort();
            String host = app.address().getPort() + "-demo.ws.localhost";
            X509Certificate before = leaf(client, port, host);
            try (SSLSocket open = connect(GatewayFixture.trusting(client), port, host)) {
                assertThat(get(open, host)).startsWith("HTTP/1.1 404");

                install(second, live);
                X509Certificate after = awaitNewLeaf(client, port, host, before);

                assertThat(after.getPublicKey()).isNotEqualTo(before.getPublicKey());
                assertThat(get(open, host)).as("a connection opened before the reload").startsWith("HTTP/1.1 404");
            }
        }
    }

    private static GatewayConfig.Builder baseConfig() throws Exception {
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        return GatewayConfig.builder().listen(new InetSocketAddress(loopback, 0)).adminListen(new InetSocketAddress(loopback, 0))
                .transport(Transport.NIO).eventLoopThreads(1)
                .routes(RouteTable.of(List.of(new WorkspaceRoute("demo", loopback))))
                .workspaceAddressRanges(List.of(AddressRange.parse("127.0.0.0/8")));
    }

    private static GatewayConfig.TlsFiles files(DemoCertificateAuthority ca) {
        return new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey());
    }

    /** Replaces the live files the way a renewal tool does: write beside, then rename over. */
    private static void install(DemoCertificateAuthority ca, Path live) throws Exception {
        for (Path[] copy : new Path[][] {{ca.serverCertificateChain(), live.resolve("chain.pem")}, {ca.serverKey(), live.resolve("key.pem")}}) {
            Path temporary = live.resolve(copy[1].getFileName() + ".new");
            Files.copy(copy[0], temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, copy[1], StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static X509Certificate awaitNewLeaf(Path[] client, int port, String host, X509Certificate before) {
        return Awaitility.await("a new certificate").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> leaf(client, port, host), current -> !current.equals(before));
    }

    private static List<String> leafNames(Path[] client, int port, String serverName) throws Exception {
        return leaf(client, port, serverName).getSubjectAlternativeNames().stream().map(name -> (String) name.get(1)).toList();
    }

    /** The server's certificate on a new connection; a new client context each time, so no session is resumed. */
    private static X509Certificate leaf(Path[] trustedCas, int port, String serverName) throws Exception {
        try (SSLSocket socket = connect(GatewayFixture.trusting(trustedCas), port, serverName)) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private static SSLSocket connect(SSLContext client, int port, String serverName) throws Exception {
        SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /**
     * One keep-alive GET of {@code /missing} on an open connection; returns the status line, which is
     * the demo workspace's own 404 when the request got through.
     */
    private static String get(SSLSocket socket, String host) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(("GET /missing HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        String status = in.readLine();
        int length = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.skip(length);
        return status;
    }
}
