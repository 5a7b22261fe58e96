package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.gateway.admin.AdminServer;
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
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's signed identity header: workspace "asserted" asks for it with its route label,
 * workspace "demo" does not. Both belong to alice of acme.
 */
class IdentityAssertionTest {
    private static final Pattern HEADER = Pattern.compile("(?im)^x-portcullis-identity: (\\S+)");

    @TempDir
    Path state;

    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;
    private RecordingBackend workspace;

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        workspace = new RecordingBackend();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config
                .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                .routes(RouteTable.of(List.of(
                        WorkspaceRoute.owned("asserted", loopback, true, Set.of(), "alice", "acme",
                                Map.of(IdentityAssertions.ROUTE_LABEL, "true")),
                        WorkspaceRoute.owned(GatewayFixture.WORKSPACE, loopback, true, Set.of(), "alice", "acme", Map.of())))));
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        workspace.close();
    }

    /** Sends one request to {@code workspaceId}'s recording port and returns what the workspace received. */
    private String received(String workspaceId, String extraHeaders) throws Exception {
        String host = gateway.host(workspace.port(), workspaceId);
        try (var socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeaders + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            workspace.awaitRequestHead();
        }
        return workspace.received();
    }

    private String bearer(String user) {
        return "Authorization: Bearer " + issuer.mint(new DevelopmentIssuer.Claims(user, null, "acme", List.of("dev"), false,
                Duration.ofMinutes(10))) + "\r\n";
    }

    @Test
    void aWorkspaceThatAsksGetsASignedShortLivedAssertionForItsOwnHost() throws Exception {
        String received = received("asserted", bearer("alice"));

        Matcher header = HEADER.matcher(received);
        assertThat(header.find()).as(received).isTrue();
        SignedJWT assertion = SignedJWT.parse(header.group(1).trim());
        String keys = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                gateway.adminUrl(AdminServer.IDENTITY_ASSERTION_JWKS)).build(), HttpResponse.BodyHandlers.ofString()).body();
        ECKey key = (ECKey) JWKSet.parse(keys).getKeyByKeyId(assertion.getHeader().getKeyID());
        assertThat(assertion.verify(new ECDSAVerifier(key))).isTrue();
        var claims = assertion.getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getAudience()).containsExactly(gateway.host(workspace.port(), "asserted"));
        assertThat(claims.getIssuer()).isEqualTo(IdentityAssertions.ISSUER);
        assertThat(claims.getStringClaim("org")).isEqualTo("acme");
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
                .isPositive().isLessThanOrEqualTo(IdentityAssertions.MAX_LIFETIME);
    }

    @Test
    void aClientCannotStripItsAssertionByNamingItInConnection() throws Exception {
        String received = received("asserted", bearer("alice") + "Connection: X-Portcullis-Identity\r\n");

        Matcher header = HEADER.matcher(received);
        assertThat(header.find()).as(received).isTrue();
        assertThat(SignedJWT.parse(header.group(1).trim()).getJWTClaimsSet().getSubject()).isEqualTo("alice");
    }

    @Test
    void aWorkspaceThatDoesNotAskGetsNoAssertion() throws Exception {
        assertThat(received(GatewayFixture.WORKSPACE, bearer("alice"))).doesNotContainIgnoringCase("x-portcullis-identity");
    }

    @Test
    void aForgedAssertionFromTheClientNeverReachesTheWorkspace() throws Exception {
        gateway.server().accessState().orElseThrow().putPolicy("acme", "acme.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: public}
                """);
        gateway.server().accessState().orElseThrow().putShare(WorkspaceId.of("asserted"),
                PortShare.of(workspace.port(), ShareLevel.PUBLIC));

        String received = received("asserted", "X-Portcullis-Identity: forged-by-the-client\r\n");

        assertThat(received).startsWith("GET / HTTP/1.1").doesNotContain("forged-by-the-client")
                .doesNotContainIgnoringCase("x-portcullis-identity");
    }
}
