package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The audit's path-rule bypasses through the real gateway, to a recording workspace port shared
 * publicly under acme's policy, which denies {@code /admin} and lets group {@code sre} read
 * {@code /metrics} on the port (the docs' own rule). Each bypass is answered by the gateway, and
 * the workspace only ever receives paths that were decided on.
 */
class PathRulesThroughGatewayTest {

    @TempDir
    Path state;

    private DevelopmentIssuer issuer;
    private RecordingBackend workspace;
    private GatewayFixture gateway;
    private final List<SSLSocket> openRequests = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        workspace = new RecordingBackend();
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        gateway = GatewayFixture.start(Transport.best(), state, config -> config
                .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                .routes(RouteTable.of(List.of(WorkspaceRoute.owned(GatewayFixture.WORKSPACE, loopback, true, Set.of(),
                        "alice", "acme", Map.of())))));
        AccessState access = gateway.server().accessState().orElseThrow();
        assertThat(access.putPolicy("acme", "acme.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: public}
                rules:
                  - {name: no-admin, effect: deny, match: {pathPrefixes: [/admin]}}
                  - name: sre-metrics
                    effect: allow
                    match: {groups: [sre], ports: [%d], methods: [GET], pathPrefixes: [/metrics]}
                """.formatted(workspace.port()))).isEmpty();
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(workspace.port(), ShareLevel.PUBLIC));
    }

    @AfterEach
    void stop() throws Exception {
        for (SSLSocket socket : openRequests) {
            socket.close();
        }
        gateway.close();
        workspace.close();
    }

    @ParameterizedTest
    @ValueSource(strings = { "/ADMIN", "/Admin/users", "/admin.json", "/admin", "/admin/", "//admin", "/./admin",
                             "/%61dmin", "/public/../admin" })
    void spellingsOfADeniedPathThatNormaliseToItAreDenied(String path) throws Exception {
        String answer = send(path, bobOfAcme());

        assertThat(answer).startsWith("HTTP/1.1 403").contains("deny-rule:no-admin");
        assertThat(workspace.connections()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = { "/admin;x", "/x/..;/admin", "/admin.", "/admin%20", "/admin%2fx", "/admin%5Cx",
                             "/%2e%2e/admin", "/admin%00", "/a%252fadmin" })
    void ambiguousFormsAreRefusedWith400BeforeAnyDecision(String path) throws Exception {
        String answer = send(path, null);

        assertThat(answer).startsWith("HTTP/1.1 400").contains("ambiguous-path");
        assertThat(workspace.connections()).isZero();
    }

    @Test
    void theDocsMetricsAllowRuleDoesNotOpenASecretNextToIt() throws Exception {
        String sre = issuer.mint(new DevelopmentIssuer.Claims("sam", null, "acme", List.of("sre"), false,
                Duration.ofMinutes(5)));
        acmeSharesNothing();

        assertThat(send("/metrics/..;/secret", sre)).startsWith("HTTP/1.1 400").contains("ambiguous-path");
        assertThat(send("/metrics/../secret", sre)).startsWith("HTTP/1.1 403").contains("no-share");
        assertThat(send("/METRICS", sre)).startsWith("HTTP/1.1 403").contains("no-share");
        assertThat(workspace.connections()).isZero();
    }

    @Test
    void theWorkspaceReceivesExactlyTheNormalisedPathThatWasDecided() throws Exception {
        List<String> sent = List.of("//public//page?q=%2e%2e", "/x/../public/./page", "/%70ublic/page", "/public/");
        for (String path : sent) {
            startRequest(path);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> requestLines().size() == sent.size());

        assertThat(requestLines()).containsExactlyInAnyOrder("GET /public/page?q=%2e%2e HTTP/1.1",
                "GET /public/page HTTP/1.1", "GET /public/page HTTP/1.1", "GET /public/ HTTP/1.1");
    }

    @Test
    void overHttp2TheSameSpellingsAreDeniedOrRefused() throws Exception {
        HttpClient h2 = HttpClient.newBuilder().sslContext(gateway.clientTls()).version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build();
        List<Integer> statuses = new ArrayList<>();
        for (String path : List.of("/ADMIN", "//admin", "/admin;x", "/x/..;/admin", "/admin%20", "/%61dmin")) {
            URI uri = URI.create("https://" + gateway.host(workspace.port(), GatewayFixture.WORKSPACE) + ":"
                    + gateway.gatewayPort() + path);
            HttpResponse<String> answer = h2.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                            .header("Authorization", "Bearer " + bobOfAcme()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
            statuses.add(answer.statusCode());
        }

        assertThat(statuses).containsExactly(403, 403, 400, 400, 400, 403);
        assertThat(workspace.connections()).isZero();
    }

    private String bobOfAcme() {
        return issuer.mint(new DevelopmentIssuer.Claims("bob", null, "acme", List.of(), false, Duration.ofMinutes(5)));
    }

    private void acmeSharesNothing() {
        gateway.server().accessState().orElseThrow().deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), workspace.port());
    }

    private String send(String path, String bearer) throws Exception {
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
        return RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host, "GET " + path + " HTTP/1.1\r\nHost: "
                + host + "\r\n" + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
                + "Connection: close\r\n\r\n");
    }

    /** Sends a request the recording workspace never answers; the socket stays open until the test ends. */
    private void startRequest(String path) throws Exception {
        String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
        SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host);
        openRequests.add(socket);
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private List<String> requestLines() {
        List<String> lines = new ArrayList<>();
        Matcher matcher = Pattern.compile("(?m)^([A-Z]+ \\S+ HTTP/1\\.1)\r\n").matcher(workspace.received());
        while (matcher.find()) {
            lines.add(matcher.group(1));
        }
        assertThat(workspace.received().toLowerCase(Locale.ROOT)).doesNotContain("admin").doesNotContain("secret");
        return lines;
    }
}
