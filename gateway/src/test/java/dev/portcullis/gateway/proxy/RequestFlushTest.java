package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHeads;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.TlsRecordRelay;
import dev.portcullis.gateway.tls.PemFiles;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * The request direction flushes once per read of the client, not once per part: a small request
 * whose head and body the client sent together reaches the workspace as one TLS record (two when
 * the head and the body were flushed apart). The workspace port here serves TLS itself (the route's
 * {@code tlsPorts}) behind a {@link TlsRecordRelay}, so the records the gateway sends it can be
 * counted. And no part is left written but unflushed when the next part comes in a later read.
 */
@OnEveryTransport
class RequestFlushTest {
    private static final String WORKSPACE = "secure";

    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void aSmallRequestWhoseHeadAndBodyCameInOneReadLeavesAsOneTlsRecord() throws Exception {
        try (TlsWorkspace workspace = new TlsWorkspace(state);
             GatewayFixture gateway = workspace.gateway(transport, state);
             SSLSocket client = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), "h1.ws.localhost")) {
            String host = gateway.host(workspace.relay.port(), WORKSPACE);
            assertThat(postOverKeepAlive(client, host, "hello")).isEqualTo("hello"); // the workspace connection is open and pooled

            workspace.relay.resetCount();
            String echoed = postOverKeepAlive(client, host, "world");

            assertThat(echoed).isEqualTo("world");
            assertThat(workspace.relay.recordsFromClient())
                    .as("TLS records the gateway sent the workspace for a request whose head and body came in one read")
                    .isEqualTo(1);
            assertThat(workspace.app.acceptedConnections()).as("the second request went over the pooled connection").isEqualTo(1);
        }
    }

    @Test
    void aBodyThatComesInALaterReadStillLeavesAtOnce() throws Exception {
        try (TlsWorkspace workspace = new TlsWorkspace(state);
             GatewayFixture gateway = workspace.gateway(transport, state);
             SSLSocket client = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), "h1.ws.localhost")) {
            String host = gateway.host(workspace.relay.port(), WORKSPACE);
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            out.write(("POST /echo HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 5\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The workspace answers the head before it reads a body: the head alone was flushed to it.
            assertThat(RawHeads.read(in)).startsWith("HTTP/1.1 200");

            out.write("later".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            assertThat(readChunkedBody(in)).isEqualTo("later");
        }
    }

    /** Sends {@code POST /echo} with {@code body} in one write and returns the body the workspace echoed. */
    private static String postOverKeepAlive(SSLSocket client, String host, String body) throws IOException {
        OutputStream out = client.getOutputStream();
        out.write(("POST /echo HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = client.getInputStream();
        assertThat(RawHeads.read(in)).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
        return readChunkedBody(in);
    }

    /** The data of a chunked body, read up to its last chunk (no trailers). */
    private static String readChunkedBody(InputStream in) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(readLine(in), 16);
            if (size == 0) {
                assertThat(readLine(in)).isEmpty();
                return data.toString(StandardCharsets.US_ASCII);
            }
            data.write(in.readNBytes(size));
            assertThat(readLine(in)).isEmpty();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed in the middle of a chunked body, after: " + line);
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** The demo workspace app serving TLS on loopback, with a record-counting relay in front of it. */
    private static final class TlsWorkspace implements AutoCloseable {
        final DemoWorkspaceApp app;
        final TlsRecordRelay relay;

        TlsWorkspace(Path state) throws Exception {
            DemoCertificateAuthority workspaceCa = new DemoCertificateAuthority(state.resolve("workspace-tls"));
            workspaceCa.ensureServerCertificate("dev.internal");
            SslContext tls = SslContextBuilder.forServer(PemFiles.readPrivateKey(workspaceCa.serverKey()),
                    PemFiles.readCertificates(workspaceCa.serverCertificateChain())).build();
            app = DemoWorkspaceApp.start(ServerSockets.nio(), new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), tls);
            try {
                relay = new TlsRecordRelay(app.address().getPort());
            } catch (IOException e) {
                app.close();
                throw e;
            }
        }

        /** A gateway whose one route sends {@value #WORKSPACE}'s relay port over TLS. */
        GatewayFixture gateway(Transport transport, Path state) throws Exception {
            InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
            return GatewayFixture.start(transport, state, config -> config.routes(RouteTable.of(
                    List.of(new WorkspaceRoute(WORKSPACE, loopback, true, Set.of(relay.port()))))));
        }

        @Override
        public void close() throws IOException {
            relay.close();
            app.close();
        }
    }
}
