package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.Forwarding;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * The exact header set a workspace receives, over HTTP/1.1 and over HTTP/2: the client's own
 * headers, Host, and the X-Forwarded-* set the gateway writes; nothing the client forged under a
 * forwarding name, no hop-by-hop header, nothing Netty's HTTP/2 translation adds, and RFC 7239
 * {@code Forwarded} only when the gateway config or the route asks for it.
 */
@OnEveryTransport
class ForwardingHeadersTest {
    @Parameter
    Transport transport;

    private static final String FORGED = "X-Forwarded-For: 203.0.113.66\r\nX-Forwarded-Host: evil.example\r\n"
            + "X-Forwarded-Proto: http\r\nX-Forwarded-Port: 1\r\nForwarded: for=203.0.113.66;host=evil.example\r\n"
            + "X-Real-IP: 203.0.113.66\r\nX-Http2-Scheme: http\r\nX-Http2-Stream-Id: 99\r\n";
    private static final String ASKING = "asking";

    @TempDir
    Path state;

    private GatewayFixture gateway;
    private RecordingBackend workspace;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (workspace != null) {
            workspace.close();
        }
    }

    private void start(Consumer<GatewayConfig.Builder> customize) throws Exception {
        workspace = new RecordingBackend();
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        gateway = GatewayFixture.start(transport, state, config -> {
            config.routes(RouteTable.of(List.of(
                    WorkspaceRoute.owned(GatewayFixture.WORKSPACE, loopback, true, Set.of(), "alice", "acme", Map.of()),
                    WorkspaceRoute.owned(ASKING, loopback, true, Set.of(), "alice", "acme",
                            Map.of(Forwarding.ROUTE_LABEL, "true")))));
            customize.accept(config);
        });
    }

    @Test
    void http1WorkspaceReceivesExactlyTheClientsHeadersAndTheXForwardedSet() throws Exception {
        start(config -> { });
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

        List<String> received = http1(host, "127.0.0.1", gateway.gatewayPort(), "/path?q=1",
                "User-Agent: probe\r\nAccept: */*\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                        + "TE: trailers\r\nProxy-Authorization: Basic eDp5\r\n" + FORGED);

        assertThat(received).containsExactlyInAnyOrder(
                "host: " + host + ":" + gateway.gatewayPort(),
                "user-agent: probe",
                "accept: */*",
                "x-forwarded-for: 127.0.0.1",
                "x-forwarded-host: " + host + ":" + gateway.gatewayPort(),
                "x-forwarded-proto: https",
                "x-forwarded-port: " + gateway.gatewayPort());
    }

    @Test
    void http2WorkspaceReceivesTheSameSetWithoutTheCodecsInternalHeaders() throws Exception {
        start(config -> { });
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
        Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").path("/path?q=1")
                .authority(host + ":" + gateway.gatewayPort())
                .add("user-agent", "probe").add("accept", "*/*").add("te", "trailers")
                .add("x-forwarded-for", "203.0.113.66").add("x-forwarded-host", "evil.example")
                .add("x-forwarded-proto", "http").add("x-forwarded-port", "1").add("forwarded", "for=203.0.113.66")
                .add("x-http2-scheme", "http").add("x-http2-stream-id", "99");

        try (RawHttp2 client = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), host)) {
            // The recording workspace never answers: the stream is left open while its head is read.
            CompletableFuture.runAsync(() -> {
                try {
                    client.exchange(headers, null);
                } catch (Exception e) {
                    // ends with the client
                }
            });
            List<String> received = receivedHead();

            assertThat(received).containsExactlyInAnyOrder(
                    "host: " + host + ":" + gateway.gatewayPort(),
                    "user-agent: probe",
                    "accept: */*",
                    "x-forwarded-for: 127.0.0.1",
                    "x-forwarded-host: " + host + ":" + gateway.gatewayPort(),
                    "x-forwarded-proto: https",
                    "x-forwarded-port: " + gateway.gatewayPort());
        }
    }

    @Test
    void ipv6ClientIsWrittenInItsCompressedForm() throws Exception {
        InetAddress ipv6Loopback = InetAddress.getByName("::1");
        start(config -> config.listen(new InetSocketAddress(ipv6Loopback, 0))
                .forwarding(new Forwarding(true)));
        int ipv6Port = gateway.server().boundAddresses().get(1).getPort();
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

        List<String> received = http1(host, "::1", ipv6Port, "/", "");

        assertThat(received).contains("x-forwarded-for: ::1")
                .contains("forwarded: for=\"[::1]\";host=\"" + host + ":" + ipv6Port + "\";proto=https");
    }

    @Test
    void forwardedIsSentToEveryWorkspaceWhenTheGatewayConfigAsks() throws Exception {
        start(config -> config.forwarding(new Forwarding(true)));
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

        List<String> received = http1(host, "127.0.0.1", gateway.gatewayPort(), "/", FORGED);

        assertThat(received).filteredOn(line -> line.startsWith("forwarded:")).containsExactly(
                "forwarded: for=127.0.0.1;host=\"" + host + ":" + gateway.gatewayPort() + "\";proto=https");
    }

    @Test
    void forwardedIsSentOnlyToTheWorkspaceWhoseRouteAsks() throws Exception {
        start(config -> { });
        String asking = gateway.host(workspace.port(), ASKING);

        List<String> received = http1(asking, "127.0.0.1", gateway.gatewayPort(), "/", "");

        assertThat(received).contains(
                "forwarded: for=127.0.0.1;host=\"" + asking + ":" + gateway.gatewayPort() + "\";proto=https");
    }

    @Test
    void aHeaderTheClientNamesInConnectionIsDroppedButNeverOneTheGatewaySets() throws Exception {
        start(config -> config.forwarding(new Forwarding(true)));
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

        List<String> received = http1(host, "127.0.0.1", gateway.gatewayPort(), "/",
                "User-Agent: probe\r\nAccept: */*\r\nConnection: User-Agent, X-Forwarded-For, x-forwarded-host, Forwarded,"
                        + " X-Forwarded-Proto, X-Forwarded-Port, Host\r\n" + FORGED);

        assertThat(received).containsExactlyInAnyOrder(
                "host: " + host + ":" + gateway.gatewayPort(),
                "accept: */*",
                "x-forwarded-for: 127.0.0.1",
                "x-forwarded-host: " + host + ":" + gateway.gatewayPort(),
                "x-forwarded-proto: https",
                "x-forwarded-port: " + gateway.gatewayPort(),
                "forwarded: for=127.0.0.1;host=\"" + host + ":" + gateway.gatewayPort() + "\";proto=https");
    }

    /** Sends a GET with {@code extraHeaders} over HTTP/1.1 and returns the head the workspace received. */
    private List<String> http1(String host, String address, int port, String target, String extraHeaders) throws Exception {
        try (SSLSocket socket = (SSLSocket) gateway.clientTls().getSocketFactory().createSocket(address, port)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n" + extraHeaders + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return receivedHead();
        }
    }

    /** The header lines of the first request the workspace received, names in lower case, in order. */
    private List<String> receivedHead() {
        await().atMost(Duration.ofSeconds(10)).until(() -> workspace.received().contains("\r\n\r\n"));
        String head = workspace.received().substring(0, workspace.received().indexOf("\r\n\r\n"));
        String[] lines = head.split("\r\n");
        assertThat(lines[0]).matches("GET /\\S* HTTP/1\\.1");
        List<String> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.add(lines[i].substring(0, colon).toLowerCase(Locale.ROOT) + ": " + lines[i].substring(colon + 1).trim());
        }
        return headers;
    }
}
