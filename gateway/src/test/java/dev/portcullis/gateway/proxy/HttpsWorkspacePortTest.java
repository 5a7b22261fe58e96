package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.tls.PemFiles;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** A workspace port that serves TLS itself is reached over HTTPS, when its route says so. */
@OnEveryTransport
class HttpsWorkspacePortTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void portListedAsTlsIsProxiedOverHttps() throws Exception {
        DemoCertificateAuthority workspaceCa = new DemoCertificateAuthority(state.resolve("workspace-tls"));
        workspaceCa.ensureServerCertificate("dev.internal");
        SslContext workspaceTls = SslContextBuilder.forServer(PemFiles.readPrivateKey(workspaceCa.serverKey()),
                PemFiles.readCertificates(workspaceCa.serverCertificateChain())).build();
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        try (DemoWorkspaceApp secureApp = DemoWorkspaceApp.start(ServerSockets.nio(), new InetSocketAddress(loopback, 0), workspaceTls)) {
            int securePort = secureApp.address().getPort();
            try (GatewayFixture gateway = GatewayFixture.start(transport, state, config -> config.routes(RouteTable.of(
                    List.of(new WorkspaceRoute("secure", loopback, true, Set.of(securePort))))))) {

                HttpResponse<String> response = gateway.httpClient().send(
                        HttpRequest.newBuilder(gateway.url(securePort, "secure", "/")).build(), HttpResponse.BodyHandlers.ofString());

                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).contains(DemoWorkspaceApp.PAGE_TITLE);
                assertThat(secureApp.acceptedConnections()).isEqualTo(1);
            }
        }
    }
}
