package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.TunnelWatcher;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The gateway against a real OIDC provider (mock-oauth2-server on loopback): tokens come from its
 * token endpoint, the gateway fetches its keys from its JWKS URL. The demo workspace belongs to
 * alice of acme.
 */
class OidcProviderAccessTest {
    private static final String ISSUER_ID = "corp";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static MockOAuth2Server provider;

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure((config, state) -> config.identity(IdentityVerifierConfig.builder()
                    .issuer(IssuerConfig.builder(provider.issuerUrl(ISSUER_ID).toString(), "portcullis")
                            .jwks(provider.jwksUrl(ISSUER_ID).uri())
                            .algorithms(JWSAlgorithm.RS256)
                            .build())
                    .build()))
            .resetAccessAfterEachTest()
            .build();

    private GatewayFixture gateway;
    private AccessState access;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startProvider() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
    }

    @AfterAll
    static void stopProvider() {
        provider.shutdown();
    }

    @BeforeEach
    void start() {
        gateway = GATEWAY.fixture();
        access = gateway.server().accessState().orElseThrow();
    }

    /**
     * A token from the provider's token endpoint (client credentials grant: the provider makes the
     * client id the subject, so each user is a client here).
     */
    private String token(String user, String org, long ttlSeconds) throws Exception {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT", List.of("portcullis"),
                Map.of("org", org, "groups", List.of("dev")), ttlSeconds));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(provider.tokenEndpointUrl(ISSUER_ID).uri())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + user
                        + "&client_secret=s&scope=openid"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new ObjectMapper().readTree(response.body()).get("access_token").asText();
    }

    private int get(String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.url("/")).timeout(TIMEOUT);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return gateway.httpClient().send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private void share(PortShare share) {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), share);
    }

    @Test
    void theOwnerIsAllowed() throws Exception {
        assertThat(get(token("alice", "acme", 300))).isEqualTo(200);
    }

    @Test
    void anOrgMemberIsAllowedOnlyWhenThePortIsSharedWithTheOrg() throws Exception {
        String bob = token("bob", "acme", 300);
        assertThat(get(bob)).isEqualTo(403);

        share(PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));

        assertThat(get(bob)).isEqualTo(200);
    }

    @Test
    void anOutsiderIsDenied() throws Exception {
        share(PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));

        assertThat(get(token("eve", "globex", 300))).isEqualTo(403);
    }

    @Test
    void aPublicPortNeedsNoToken() throws Exception {
        assertThat(access.putPolicy("acme", "acme.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: public}
                """)).isEmpty();
        share(PortShare.of(gateway.workspacePort(), ShareLevel.PUBLIC));

        assertThat(get(null)).isEqualTo(200);
    }

    @Test
    void anExpiredShareIsDenied() throws Exception {
        share(new PortShare(gateway.workspacePort(), ShareLevel.ORGANIZATION, Set.of(), Set.of(),
                Instant.now().minusSeconds(5)));

        assertThat(get(token("bob", "acme", 300))).isEqualTo(403);
    }

    @Test
    void anExpiredProviderTokenIsRefused() throws Exception {
        assertThat(get(token("alice", "acme", -120))).isEqualTo(401);
    }

    @Test
    void aTunnelIsClosedWhenItsShareIsRevoked() throws Exception {
        share(PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));
        TunnelWatcher tunnel = new TunnelWatcher();
        WebSocket socket = gateway.httpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .header("Authorization", "Bearer " + token("bob", "acme", 300))
                .buildAsync(URI.create("wss://" + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":"
                        + gateway.gatewayPort() + "/echo"), tunnel).get(10, TimeUnit.SECONDS);
        socket.sendText("hello", true).get(5, TimeUnit.SECONDS);
        assertThat(tunnel.firstText.get(5, TimeUnit.SECONDS)).isEqualTo("hello");

        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

        tunnel.closed.get(1, TimeUnit.SECONDS);
        assertThat(tunnel.closed).isDone();
    }
}
