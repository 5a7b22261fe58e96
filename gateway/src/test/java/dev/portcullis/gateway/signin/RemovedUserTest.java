package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.testing.CookieBrowser;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.TunnelWatcher;
import dev.portcullis.gateway.transport.Transport;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A person removed from an org: an admin of the org ends every browser session of theirs with one
 * call ({@code DELETE /api/v1/orgs/<org>/users/<user>/sessions}); their open tunnels close within a
 * second with a close frame, their cookies stop working, and nobody else's session is touched.
 */
class RemovedUserTest {
    private static final String ISSUER_ID = "corp";
    private static final String CLIENT = "portcullis";

    @TempDir
    Path state;

    private MockOAuth2Server provider;
    private GatewayFixture gateway;

    @BeforeEach
    void start() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        URI issuer = provider.issuerUrl(ISSUER_ID).uri();
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(provider.wellKnownUrl(ISSUER_ID).uri())
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.discarding());
        IssuerConfig tokens = IssuerConfig.builder(issuer.toString(), CLIENT).jwks(provider.jwksUrl(ISSUER_ID).uri())
                .algorithms(JWSAlgorithm.RS256).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config
                .identity(IdentityVerifierConfig.builder().issuer(tokens).build())
                .signIn(SignInSettings.of(issuer, CLIENT, new SignInSettings.ClientAuth.Secret("secret"))));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        provider.shutdown();
    }

    /** Signs {@code user} of {@code org} in with a browser of its own; returns the session reference. */
    private String signIn(String user, String org) throws Exception {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT", List.of(CLIENT),
                Map.of("org", org), 300));
        CookieBrowser browser = new CookieBrowser(gateway.clientTls());
        URI page = gateway.url("/");
        browser.open(page);
        return browser.cookie(page, SignIn.SESSION_COOKIE);
    }

    private String adminToken(String user, String org) {
        return provider.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT",
                List.of(CLIENT), Map.of("org", org, "portcullis_admin", true), 300)).serialize();
    }

    private HttpResponse<String> removeSessions(String org, String user, String token, String method) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(gateway.adminUrl("/api/v1/orgs/" + org + "/users/"
                        + user + "/sessions")).method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> withCookie(String reference) throws Exception {
        return gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/"))
                .header("Cookie", SignIn.SESSION_COOKIE + "=" + reference).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anAdminEndsEverySessionOfARemovedUserAndTheirTunnelsCloseWithACloseFrameWithinASecond() throws Exception {
        String laptop = signIn("alice", "acme");
        String phone = signIn("alice", "acme");
        String bob = signIn("bob", "acme");
        TunnelWatcher tunnel = new TunnelWatcher();
        URI page = gateway.url("/");
        gateway.httpClient().newWebSocketBuilder()
                .header("Cookie", SignIn.SESSION_COOKIE + "=" + laptop)
                .header("Origin", "https://" + page.getAuthority())
                .buildAsync(URI.create("wss://" + page.getAuthority() + "/echo"), tunnel).get(10, TimeUnit.SECONDS);
        assertThat(withCookie(phone).statusCode()).isEqualTo(200);

        long removedAt = System.nanoTime();
        HttpResponse<String> removed = removeSessions("acme", "alice", adminToken("carol", "acme"), "DELETE");

        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
        assertThat(removed.body()).contains("\"sessionsEnded\":2");
        assertThat(tunnel.closeFrame.get(5, TimeUnit.SECONDS)).isEqualTo("1008 session-ended");
        assertThat(Duration.ofNanos(System.nanoTime() - removedAt)).isLessThan(Duration.ofSeconds(1));
        assertThat(withCookie(laptop).statusCode()).isEqualTo(401);
        assertThat(withCookie(phone).statusCode()).isEqualTo(401);
        Sessions sessions = gateway.server().sessions().orElseThrow();
        assertThat(sessions.lookup(bob).get()).as("another user's session stays").isPresent();
    }

    @Test
    void onlyAnAdminOfTheUsersOrgMayEndTheirSessionsAndARefusalEndsNothing() throws Exception {
        String alice = signIn("alice", "acme");

        HttpResponse<String> otherOrg = removeSessions("acme", "alice", adminToken("mallory", "globex"), "DELETE");
        HttpResponse<String> notAdmin = removeSessions("acme", "alice", provider.issueToken(ISSUER_ID, CLIENT,
                new DefaultOAuth2TokenCallback(ISSUER_ID, "bob", "JWT", List.of(CLIENT), Map.of("org", "acme"), 300))
                .serialize(), "DELETE");
        HttpResponse<String> wrongMethod = removeSessions("acme", "alice", adminToken("carol", "acme"), "GET");

        assertThat(otherOrg.statusCode()).as(otherOrg.body()).isEqualTo(403);
        assertThat(notAdmin.statusCode()).as(notAdmin.body()).isEqualTo(403);
        assertThat(wrongMethod.statusCode()).as(wrongMethod.body()).isEqualTo(405);
        assertThat(withCookie(alice).statusCode()).isEqualTo(200);
    }
}
