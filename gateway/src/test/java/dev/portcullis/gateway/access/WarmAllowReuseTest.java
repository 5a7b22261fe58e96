package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A warm connection reuses its last allow from one entry of its record ({@code ConnectionAccess.warmAllow}):
 * the allow, the token it was proved with, its end and the change count. Nothing else may reuse it:
 * on one connection (HTTP/1.1 keep-alive, or HTTP/2 with every port host coalesced onto it, as
 * browsers do under a wildcard certificate), another token, another port, a policy change or the
 * token's end each gets the request decided afresh — on every transport. The demo workspace belongs
 * to alice; bob is in her org and reaches a port only while it is shared with the org.
 */
@OnEveryTransport
class WarmAllowReuseTest {
    private static final String SNI = "h2.ws.localhost";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Parameter
    Transport transport;

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure(GatewayExtension.Configuration.trustingTheDevelopmentIssuer())
            .resetAccessAfterEachTest()
            .build();

    private GatewayFixture gateway;
    private AccessState access;
    private DevelopmentIssuer issuer;

    enum Protocol { HTTP_1_1, HTTP_2 }

    /** One client connection to the gateway: each request's answer as its status code. */
    private interface Connection extends AutoCloseable {
        int get(int port, String bearer) throws Exception;

        @Override
        void close();
    }

    @BeforeEach
    void start() throws Exception {
        gateway = GATEWAY.fixture();
        access = gateway.server().accessState().orElseThrow();
        issuer = DevelopmentIssuer.loadOrCreate(GATEWAY.stateDir().resolve("issuer"));
    }

    @AfterEach
    void unshare() {
        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void anotherTokenOnTheWarmConnectionIsDecidedAfresh(Protocol protocol) throws Exception {
        String alice = token(GatewayFixture.OWNER, Duration.ofMinutes(10));
        String bob = token("bob", Duration.ofMinutes(10));
        try (Connection connection = connect(protocol)) {
            assertThat(connection.get(gateway.workspacePort(), alice)).isEqualTo(200);
            assertThat(connection.get(gateway.workspacePort(), alice)).as("warm now").isEqualTo(200);

            assertThat(connection.get(gateway.workspacePort(), bob)).as("bob may not reach an unshared port").isEqualTo(403);
            if (protocol == Protocol.HTTP_2) { // over HTTP/1.1 the gateway's answer ended the connection
                assertThat(connection.get(gateway.workspacePort(), alice)).isEqualTo(200);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void anotherPortOnTheWarmConnectionIsDecidedAfresh(Protocol protocol) throws Exception {
        shareWithTheOrg(gateway.workspacePort());
        String bob = token("bob", Duration.ofMinutes(10));
        int unshared = GatewayFixture.unusedPort();
        try (Connection connection = connect(protocol)) {
            assertThat(connection.get(gateway.workspacePort(), bob)).isEqualTo(200);
            assertThat(connection.get(gateway.workspacePort(), bob)).as("warm now").isEqualTo(200);

            assertThat(connection.get(unshared, bob)).as("the same token and path on another port").isEqualTo(403);
            if (protocol == Protocol.HTTP_2) { // over HTTP/1.1 the gateway's answer ended the connection
                assertThat(connection.get(gateway.workspacePort(), bob)).isEqualTo(200);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aPolicyChangeBetweenTwoRequestsRefusesTheNext(Protocol protocol) throws Exception {
        shareWithTheOrg(gateway.workspacePort());
        String bob = token("bob", Duration.ofMinutes(10));
        try (Connection connection = connect(protocol)) {
            for (int i = 0; i < 4; i++) {
                assertThat(connection.get(gateway.workspacePort(), bob)).isEqualTo(200); // warm from the second on
            }

            access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

            if (connection instanceof Http1Connection keepAlive) {
                // Its later requests reused the registration of the first (not registered again): the
                // revocation still finds it and closes the connection, idle between two requests.
                await().atMost(Duration.ofSeconds(5)).until(keepAlive::closedByGateway);
            }
            try (Connection next = protocol == Protocol.HTTP_2 ? null : connect(protocol)) {
                assertThat((next != null ? next : connection).get(gateway.workspacePort(), bob)).isEqualTo(403);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aTokenPastItsEndIsRefusedOnTheWarmConnection(Protocol protocol) throws Exception {
        String alice = token(GatewayFixture.OWNER, Duration.ofSeconds(2));
        try (Connection connection = connect(protocol)) {
            assertThat(connection.get(gateway.workspacePort(), alice)).isEqualTo(200);
            assertThat(connection.get(gateway.workspacePort(), alice)).as("warm now").isEqualTo(200);

            // Past its end the grant sweep closes an HTTP/1.1 connection; either way the token is refused.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
                try (Connection next = protocol == Protocol.HTTP_2 ? null : connect(protocol)) {
                    return (next != null ? next : connection).get(gateway.workspacePort(), alice) == 401;
                }
            });
        }
    }

    private void shareWithTheOrg(int port) {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(port, ShareLevel.ORGANIZATION));
    }

    private String token(String user, Duration ttl) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, GatewayFixture.ORG, List.of(), false, ttl));
    }

    private String authority(int port) {
        return gateway.host(port, GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort();
    }

    private Connection connect(Protocol protocol) throws Exception {
        return protocol == Protocol.HTTP_2 ? new Http2Connection() : new Http1Connection();
    }

    /** Every request a stream of one HTTP/2 connection, whatever port host it names. */
    private final class Http2Connection implements Connection {
        private final RawHttp2 connection = new RawHttp2(GATEWAY.stateDir().resolve("tls/ca.pem"), gateway.gatewayPort(), SNI);

        Http2Connection() throws Exception {}

        @Override
        public int get(int port, String bearer) throws Exception {
            Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").path("/").authority(authority(port));
            headers.add("authorization", "Bearer " + bearer);
            RawHttp2.OpenStream stream = connection.open(headers, null, true);
            String head = stream.head().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            stream.end().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return Integer.parseInt(head.substring("status ".length()));
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    /** Every request on one HTTP/1.1 keep-alive connection, with the port host in its {@code Host}. */
    private final class Http1Connection implements Connection {
        private final SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), SNI);

        Http1Connection() throws IOException {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
        }

        @Override
        public int get(int port, String bearer) throws IOException {
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + authority(port) + "\r\nAuthorization: Bearer "
                    + bearer + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            int length = 0;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
                }
            }
            assertThat(in.readNBytes(length)).as("the body of " + head).hasSize(length);
            return Integer.parseInt(head.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
        }

        /** Whether the gateway closed this connection (an idle one: nothing else to read). */
        boolean closedByGateway() throws IOException {
            try {
                socket.setSoTimeout(100);
                return socket.getInputStream().read() < 0;
            } catch (SocketTimeoutException stillOpen) {
                return false;
            } catch (SSLException | SocketException reset) {
                return true;
            } finally {
                if (!socket.isClosed()) {
                    socket.setSoTimeout((int) TIMEOUT.toMillis());
                }
            }
        }

        private static String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the gateway closed the connection after: " + head);
                }
                head.write(b);
            }
            return head.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a test connection: nothing to do
            }
        }
    }
}
