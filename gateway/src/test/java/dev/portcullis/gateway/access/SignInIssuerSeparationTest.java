package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.gateway.testing.CookieBrowser;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Browser sessions are callers of their issuer like its tokens: a session made at sign-in with
 * issuer A is A's user (alias, org binding) when it is restored on every request, never B's
 * same-named user. Two real issuers on one mock-oauth2-server: A ({@code idp-a}, the sign-in
 * provider) bound to acme, B ({@code idp-b}) bound to globex. The workspace belongs to alice of acme.
 */
class SignInIssuerSeparationTest {
    private static final String CLIENT = "portcullis";

    @TempDir
    Path state;

    private MockOAuth2Server provider;
    private GatewayFixture gateway;
    private CookieBrowser browser;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        // The provider's first answer can take seconds on a busy machine (its templates and JSON warm up).
        http.send(HttpRequest.newBuilder(provider.wellKnownUrl("idp-a").uri()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.discarding());
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder()
                .issuer(issuer("idp-a").alias("a").orgs("acme").admin(true).build())
                .issuer(issuer("idp-b").alias("b").orgs("globex").admin(false).build())
                .build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity)
                .access(new AccessSettings(Optional.of(state.resolve("access")), ShareLevel.PUBLIC, "portcullis_admin"))
                .signIn(SignInSettings.of(provider.issuerUrl("idp-a").uri(), CLIENT,
                        new SignInSettings.ClientAuth.Secret("secret"))));
        browser = new CookieBrowser(gateway.clientTls());
    }

    @AfterEach
    void stop() {
        gateway.close();
        provider.shutdown();
    }

    private IssuerConfig.Builder issuer(String id) {
        return IssuerConfig.builder(provider.issuerUrl(id).toString(), CLIENT)
                .jwks(provider.jwksUrl(id).uri()).algorithms(JWSAlgorithm.RS256);
    }

    /** The sign-in provider (issuer A) signs the next browser login in as {@code user} of {@code org}. */
    private void nextLoginIs(String user, String org) {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback("idp-a", user, "JWT", List.of(CLIENT),
                Map.of("org", org), 300));
    }

    private String token(String id, String user, String org) throws Exception {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(id, user, "JWT", List.of(CLIENT),
                org == null ? Map.of() : Map.of("org", org), 300));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(provider.tokenEndpointUrl(id).uri())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + user
                        + "&client_secret=s&scope=openid"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new ObjectMapper().readTree(response.body()).get("access_token").asText();
    }

    private void shareWith(String... users) throws Exception {
        String body = new ObjectMapper().writeValueAsString(Map.of("level", "users", "users", List.of(users)));
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(gateway.adminUrl("/api/v1/shares/"
                        + GatewayFixture.WORKSPACE + "/" + gateway.workspacePort()))
                .header("Authorization", "Bearer " + token("idp-a", "alice", "acme"))
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    }

    private URI port() {
        return gateway.url(gateway.workspacePort(), GatewayFixture.WORKSPACE, "/");
    }

    private HttpResponse<String> withBearer(String token) throws Exception {
        return gateway.httpClient().send(HttpRequest.newBuilder(port()).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theOwnerSignedInAtTheOrgsIssuerIsTheOwner() throws Exception {
        nextLoginIs("alice", "acme");

        CookieBrowser.Visit visit = browser.open(port());

        assertThat(visit.page().statusCode()).as(visit.urls().toString()).isEqualTo(200);
        assertThat(browser.cookie(port(), SignIn.SESSION_COOKIE)).isNotNull();
    }

    @Test
    void aSessionIsItsIssuersUserAndNotTheOtherIssuersSameName() throws Exception {
        shareWith("bob@b", "carol@a");
        assertThat(withBearer(token("idp-b", "bob", "globex")).statusCode()).isEqualTo(200);

        nextLoginIs("bob", "acme");
        CookieBrowser.Visit bobOfA = browser.open(port());

        // Signed in (the cookie is set), but as A's bob, whom the share does not name.
        assertThat(browser.cookie(port(), SignIn.SESSION_COOKIE)).isNotNull();
        assertThat(visit(bobOfA).statusCode()).isEqualTo(403);
        assertThat(visit(bobOfA).body()).contains("signed in as <strong>bob@a</strong>"); // the issuer says which bob
    }

    @Test
    void aSessionOfTheNamedIssuersUserIsAdmitted() throws Exception {
        shareWith("carol@a");
        assertThat(withBearer(token("idp-b", "carol", "globex")).statusCode()).isEqualTo(403);

        nextLoginIs("carol", "acme");

        assertThat(visit(browser.open(port())).statusCode()).isEqualTo(200);
    }

    @Test
    void aSignInWhoseIdTokenNamesAnOrgItsIssuerIsNotBoundToIsRefused() throws Exception {
        nextLoginIs("mallory", "globex");

        CookieBrowser.Visit visit = browser.open(port());

        assertThat(visit.page().statusCode()).isEqualTo(400);
        assertThat(visit.page().body()).contains("Sign-in failed").contains("org-not-bound").contains("globex")
                .contains("may not speak for (expected: one of [acme])");
        assertThat(browser.cookie(port(), SignIn.SESSION_COOKIE)).isNull();
        assertThat(browser.fetch(port()).statusCode()).isEqualTo(401);
    }

    private static HttpResponse<String> visit(CookieBrowser.Visit visit) {
        return visit.page();
    }
}
