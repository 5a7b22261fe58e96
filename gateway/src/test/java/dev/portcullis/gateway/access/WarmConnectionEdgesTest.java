package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The edges of the warm path ({@code RequestAccess}: a request of a connection that proved the same
 * token before reuses its allow, comparing the token in place): the token is still taken off every
 * request, however its scheme is written, and a route change between two requests (the workspace
 * given to another owner) makes the next one decided afresh, and a query string reaches the workspace
 * as sent. Over HTTP/1.1 keep-alive and HTTP/2.
 */
class WarmConnectionEdgesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String WORKSPACE = "ws7";

    @TempDir
    Path state;

    private DevelopmentIssuer issuer;
    private HeadRecordingWorkspace workspace;
    private Path routeFile;
    private GatewayFixture gateway;

    enum Protocol { HTTP_1_1, HTTP_2 }

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        workspace = new HeadRecordingWorkspace();
        routeFile = state.resolve("routes.json");
        ownedBy("alice");
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity).routeFile(routeFile));
    }

    @AfterEach
    void stop() throws IOException {
        gateway.close();
        workspace.close();
    }

    private void ownedBy(String owner) throws IOException {
        ownedBy(owner, "{}");
    }

    private void ownedBy(String owner, String labels) throws IOException {
        Files.writeString(routeFile, "[{\"workspaceId\":\"" + WORKSPACE + "\",\"address\":\"127.0.0.1\",\"owner\":\""
                + owner + "\",\"org\":\"acme\",\"labels\":" + labels + "}]");
    }

    private String token(String user) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, "acme", List.of(), false, Duration.ofMinutes(10)));
    }

    private HttpClient client(Protocol protocol) {
        return HttpClient.newBuilder().sslContext(gateway.clientTls()).connectTimeout(TIMEOUT)
                .version(protocol == Protocol.HTTP_2 ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1).build();
    }

    private HttpResponse<String> get(HttpClient client, String authorization) throws Exception {
        return get(client, authorization, "/");
    }

    private HttpResponse<String> get(HttpClient client, String authorization, String target) throws Exception {
        URI url = URI.create("https://" + gateway.host(workspace.port(), WORKSPACE) + ":" + gateway.gatewayPort() + target);
        return client.send(HttpRequest.newBuilder(url).header("Authorization", authorization).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void theTokenNeverReachesTheWorkspaceOnAWarmConnectionHoweverTheSchemeIsWritten(Protocol protocol) throws Exception {
        String alice = token("alice");
        try (HttpClient client = client(protocol)) {
            for (String authorization : List.of("Bearer " + alice, "Bearer " + alice, "bearer   " + alice, "BEARER " + alice)) {
                HttpResponse<String> answer = get(client, authorization);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(answer.version().name()).isEqualTo(protocol.name());
            }
        }

        assertThat(workspace.heads()).hasSize(4).allSatisfy(head -> assertThat(head)
                .doesNotContainIgnoringCase("authorization").doesNotContain(alice.substring(alice.lastIndexOf('.') + 1)));
        assertThat(workspace.connections()).as("one workspace connection, reused: the requests were warm").isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void eachQueryReachesTheWorkspaceAsSentWhileTheWarmConnectionReusesItsPathsAllow(Protocol protocol) throws Exception {
        // The reused allow compares the path up to the '?' where it stands in the target: the query
        // never changes what was allowed, and the workspace gets each one unchanged.
        List<String> targets = List.of("/docs", "/docs?page=2", "/docs?page=3&sort=name", "/docs",
                "/docs?q=access_token_docs", "/docsx?page=2", "/doc?s", "/");
        String alice = "Bearer " + token("alice");
        try (HttpClient client = client(protocol)) {
            for (String target : targets) {
                HttpResponse<String> answer = get(client, alice, target);
                assertThat(answer.statusCode()).as(target + ": " + answer.body()).isEqualTo(200);
            }
        }

        assertThat(workspace.heads()).extracting(head -> head.substring(0, head.indexOf("\r\n")))
                .containsExactlyElementsOf(targets.stream().map(target -> "GET " + target + " HTTP/1.1").toList());
        assertThat(workspace.heads()).allSatisfy(head -> assertThat(head).doesNotContainIgnoringCase("authorization"));
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void everyRequestOfAWarmConnectionCarriesTheIdentityAssertionItsRouteAsksFor(Protocol protocol) throws Exception {
        // Whether the workspace gets the assertion is decided once with the allow; the header is set on every request.
        ownedBy("alice", "{\"" + IdentityAssertions.ROUTE_LABEL + "\":\"true\"}");
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.server().currentRoutes().lookup(WORKSPACE).owner().labels()
                .containsKey(IdentityAssertions.ROUTE_LABEL));
        String alice = "Bearer " + token("alice");
        try (HttpClient client = client(protocol)) {
            for (String target : List.of("/", "/", "/?again", "/")) {
                assertThat(get(client, alice, target).statusCode()).isEqualTo(200);
            }
        }

        assertThat(workspace.heads()).hasSize(4).allSatisfy(head -> assertThat(head)
                .containsIgnoringCase(IdentityAssertions.HEADER + ": ey"));
        assertThat(workspace.connections()).as("one workspace connection, reused: the requests were warm").isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aWorkspaceGivenToAnotherOwnerRefusesTheNextRequestOfAWarmConnection(Protocol protocol) throws Exception {
        String alice = "Bearer " + token("alice");
        try (HttpClient client = client(protocol)) {
            assertThat(get(client, alice).statusCode()).isEqualTo(200);
            assertThat(get(client, alice).statusCode()).isEqualTo(200); // warm now

            ownedBy("carol");

            // The route file is polled every 0.5 s; from the poll that sees the change on, every request is refused.
            await().atMost(Duration.ofSeconds(5)).until(() -> get(client, alice).statusCode() == 403);
            HttpResponse<String> after = get(client, alice);
            assertThat(after.statusCode()).isEqualTo(403);
            assertThat(after.body()).contains("alice");
        }
    }

    /**
     * A workspace port that answers every request head with a small 200 on a keep-alive connection
     * and keeps each head, to see what the gateway forwarded.
     */
    private static final class HeadRecordingWorkspace implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        private final List<String> heads = new CopyOnWriteArrayList<>();
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        HeadRecordingWorkspace() throws IOException {
            Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        List<String> heads() {
            return heads;
        }

        int connections() {
            return accepted.size();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.add(socket);
                    Thread.ofVirtual().start(() -> serve(socket));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket; BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1))) {
                OutputStream out = socket.getOutputStream();
                StringBuilder head = new StringBuilder();
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (!line.isEmpty()) {
                        head.append(line).append("\r\n");
                        continue;
                    }
                    heads.add(head.toString()); // GET requests: no body follows
                    head.setLength(0);
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (IOException e) {
                // the gateway closed it
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }
}
