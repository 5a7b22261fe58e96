package dev.portcullis.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** With an identity section, every request needs a valid bearer token, and the token stays at the gateway. */
class GatewayAuthenticationTest {
    private static final RSAKey KEY = TestTokens.rsaKey("gateway-test");

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure((config, state) -> config.identity(IdentityVerifierConfig.builder()
                    .issuer(TestTokens.staticIssuer(TestTokens.keySet(KEY), JWSAlgorithm.RS256).build())
                    .build()))
            .build();

    private GatewayFixture gateway;
    /** The class's gateway and workspace serve every test: what reached the workspace is counted from here. */
    private long workspaceRequestsBefore;

    @BeforeEach
    void start() {
        gateway = GATEWAY.fixture();
        workspaceRequestsBefore = gateway.workspaceRequests();
    }

    private long workspaceRequestsSinceStart() {
        return gateway.workspaceRequests() - workspaceRequestsBefore;
    }

    /** A token valid now (the gateway checks against the real clock). */
    private static String validToken() {
        Instant now = Instant.now();
        JWTClaimsSet claims = TestTokens.claims().issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(300))).build();
        return TestTokens.rs256(KEY, claims);
    }

    private static String get(GatewayFixture gateway, String extraHeader) throws Exception {
        String host = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        return RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                "GET / HTTP/1.1\r\nHost: " + host + "\r\n" + extraHeader + "Connection: close\r\n\r\n");
    }

    @Test
    void requestWithoutATokenIs401AndNeverReachesTheWorkspace() throws Exception {
        String answer = get(gateway, "");

        assertThat(answer).startsWith("HTTP/1.1 401 ").contains("www-authenticate: Bearer realm=\"portcullis\"")
                .contains("\"error\":\"unauthenticated\"");
        assertThat(workspaceRequestsSinceStart()).isZero();
    }

    @Test
    void forgedTokenIs401WithTheReason() throws Exception {
        String forged = TestTokens.rs256(TestTokens.rsaKey("gateway-test"), TestTokens.claims()
                .expirationTime(Date.from(Instant.now().plusSeconds(300))).build());
        String answer = get(gateway, "Authorization: Bearer " + forged + "\r\n");

        assertThat(answer).startsWith("HTTP/1.1 401 ").contains("bad-signature");
        assertThat(workspaceRequestsSinceStart()).isZero();
    }

    @Test
    void validTokenReachesTheWorkspace() throws Exception {
        String answer = get(gateway, "Authorization: Bearer " + validToken() + "\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ");
        assertThat(workspaceRequestsSinceStart()).isEqualTo(1);
    }

    @Test
    void workspaceNeverSeesTheBearerToken() throws Exception {
        try (RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            String token = validToken();
            try (var socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
                socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                workspace.awaitRequestHead();
            }

            assertThat(workspace.received()).startsWith("GET / HTTP/1.1").doesNotContainIgnoringCase("authorization")
                    .doesNotContain(token);
        }
    }
}
