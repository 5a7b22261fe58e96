package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.testing.CookieBrowser;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.TunnelWatcher;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Browser sign-in through the real gateway and a real OpenID Connect provider (mock-oauth2-server
 * on loopback, which answers the authorization request at once for the user the test queues):
 * login host, code flow with PKCE, tickets, session cookies, logout, and every refusal on the way.
 * The demo workspace belongs to alice of acme.
 */
class SignInFlowTest {
    private static final String ISSUER_ID = "corp";
    private static final String CLIENT = "portcullis";

    private static MockOAuth2Server provider;
    private static URI issuer;

    /**
     * One provider and one gateway for the class; each test is a new person (a new cookie jar) with
     * sessions of its own. Every test queues its logins as alice of acme, so a login a failed test
     * queued and did not use cannot sign the next test in as someone else.
     */
    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure((config, state) -> config
                    .identity(IdentityVerifierConfig.builder().issuer(IssuerConfig.builder(issuer.toString(), CLIENT)
                            .jwks(provider.jwksUrl(ISSUER_ID).uri()).algorithms(JWSAlgorithm.RS256).build()).build())
                    .signIn(SignInSettings.of(issuer, CLIENT, new SignInSettings.ClientAuth.Secret("secret"))))
            .build();

    private GatewayFixture gateway;
    private CookieBrowser browser;
    private String providerHost;

    @BeforeAll
    static void startProvider() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        issuer = provider.issuerUrl(ISSUER_ID).uri();
        // The provider's first answer can take seconds on a busy machine (its templates and JSON warm up).
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                provider.wellKnownUrl(ISSUER_ID).uri()).timeout(Duration.ofSeconds(60)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
    }

    @AfterAll
    static void stopProvider() {
        provider.shutdown();
    }

    @BeforeEach
    void start() {
        gateway = GATEWAY.fixture();
        providerHost = issuer.getHost();
        browser = new CookieBrowser(gateway.clientTls());
    }

    /** The provider signs the next login in as {@code user} of {@code org}. */
    private void nextLoginIs(String user, String org, long tokenSeconds) {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT", List.of(CLIENT),
                Map.of("org", org), tokenSeconds));
    }

    private URI portUrl(int port, String pathAndQuery) {
        return gateway.url(port, GatewayFixture.WORKSPACE, pathAndQuery);
    }

    private String loginHost() {
        return "login." + GatewayFixture.BASE_DOMAIN;
    }

    @Test
    void aBrowserIsSignedInAndLandsOnTheDeepUrlWithItsQuery() throws Exception {
        nextLoginIs("alice", "acme", 300);
        URI deep = portUrl(gateway.workspacePort(), "/bytes?n=7&note=hello%20world");

        CookieBrowser.Visit visit = browser.open(deep);

        assertThat(visit.page().statusCode()).as(visit.urls().toString()).isEqualTo(200);
        assertThat(visit.page().body()).hasSize(7);
        assertThat(visit.finalUrl()).isEqualTo(deep);
        assertThat(visit.urls()).extracting(URI::getHost).contains(loginHost(), providerHost);
        String cookie = browser.cookie(deep, SignIn.SESSION_COOKIE);
        assertThat(cookie).matches("[A-Za-z0-9_-]{43}");
        assertThat(visit.answers()).allSatisfy(answer -> assertThat(answer.headers().allValues("set-cookie"))
                .noneMatch(value -> value.contains("Domain=")));
    }

    @Test
    void aSecondPortHostSignsInWithoutTheProvider() throws Exception {
        nextLoginIs("alice", "acme", 300);
        browser.open(portUrl(gateway.workspacePort(), "/"));
        int otherPort = gateway.workspacePort() == 1 ? 2 : gateway.workspacePort() - 1; // nothing listens there

        CookieBrowser.Visit second = browser.open(portUrl(otherPort, "/x?y=1"));

        assertThat(second.urls()).extracting(URI::getHost).doesNotContain(providerHost).contains(loginHost());
        assertThat(second.finalUrl()).isEqualTo(portUrl(otherPort, "/x?y=1"));
        assertThat(second.page().statusCode()).isEqualTo(502); // signed in; the port is just not served
    }

    @Test
    void logoutEndsTheSessionOnEveryPortHost() throws Exception {
        nextLoginIs("alice", "acme", 300);
        URI first = portUrl(gateway.workspacePort(), "/");
        browser.open(first);
        String reference = browser.cookie(first, SignIn.SESSION_COOKIE);
        assertThat(browser.fetch(first).statusCode()).isEqualTo(200);

        CookieBrowser.Visit logout = browser.open(portUrl(gateway.workspacePort(), "/.portcullis/logout"));

        assertThat(logout.finalUrl().getPath()).isEqualTo("/signed-out");
        assertThat(logout.urls()).extracting(URI::getHost).contains(providerHost); // RP-initiated logout
        assertThat(browser.fetch(first).statusCode()).isEqualTo(401);
        // The same reference, kept by another tab or port host, is worth nothing now.
        HttpResponse<String> stale = gateway.httpClient().send(java.net.http.HttpRequest.newBuilder(first)
                .header("Cookie", SignIn.SESSION_COOKIE + "=" + reference).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(stale.statusCode()).isEqualTo(401);
        assertThat(stale.headers().firstValue("set-cookie").orElseThrow()).contains("Max-Age=0");
    }

    @Test
    void scriptsAndWebSocketsWithoutASessionGet401NotARedirect() throws Exception {
        URI page = portUrl(gateway.workspacePort(), "/");
        HttpResponse<String> fetch = browser.fetch(page);
        assertThat(fetch.statusCode()).isEqualTo(401);
        assertThat(fetch.headers().firstValue("content-type")).contains("application/json");
        assertThat(fetch.headers().firstValue("location")).isEmpty();

        var upgrade = gateway.httpClient().newWebSocketBuilder()
                .buildAsync(URI.create("wss://" + page.getAuthority() + "/echo"), new TunnelWatcher());
        assertThat(upgrade).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .havingRootCause().withMessageContaining("401");
    }

    @Test
    void aTicketWorksOnceAndOnlyOnItsHost() throws Exception {
        nextLoginIs("alice", "acme", 300);
        URI page = portUrl(gateway.workspacePort(), "/");
        CookieBrowser.Visit stopped = browser.open(page, url -> url.getPath().equals(SignIn.TICKET_PATH));
        URI ticket = stopped.finalUrl();
        assertThat(ticket.getQuery()).startsWith("t=");

        URI elsewhere = portUrl(gateway.workspacePort() - 1, SignIn.TICKET_PATH + "?" + ticket.getRawQuery());
        CookieBrowser other = new CookieBrowser(gateway.clientTls());
        HttpResponse<String> wrongHost = other.open(elsewhere).page();
        assertThat(wrongHost.statusCode()).isEqualTo(400);
        assertThat(wrongHost.headers().firstValue("x-portcullis-reason")).contains("ticket-for-another-host");

        HttpResponse<String> replay = other.open(ticket).page(); // taken by the attempt above: gone
        assertThat(replay.statusCode()).isEqualTo(400);
        assertThat(replay.headers().firstValue("x-portcullis-reason")).contains("ticket-invalid");
        assertThat(other.cookie(ticket, SignIn.SESSION_COOKIE)).isNull();
    }

    @Test
    void aCallbackWithAnUnknownStateIsRefused() throws Exception {
        HttpResponse<String> answer = browser.open(URI.create("https://" + loginHost() + ":" + gateway.gatewayPort()
                + "/callback?state=made-up&code=x")).page();

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.headers().firstValue("x-portcullis-reason")).contains("bad-state");
    }

    @Test
    void aCallbackOpenedInAnotherBrowserIsRefused() throws Exception {
        nextLoginIs("alice", "acme", 300);
        CookieBrowser.Visit started = browser.open(portUrl(gateway.workspacePort(), "/"),
                url -> url.getHost().equals(loginHost()) && url.getPath().equals("/callback"));
        URI callback = started.finalUrl();

        HttpResponse<String> victim = new CookieBrowser(gateway.clientTls()).open(callback).page();

        assertThat(victim.statusCode()).isEqualTo(400);
        assertThat(victim.headers().firstValue("x-portcullis-reason")).contains("login-from-another-browser");
    }

    @Test
    void aCallbackIsFinishedOnlyOnce() throws Exception {
        nextLoginIs("alice", "acme", 300);
        CookieBrowser.Visit started = browser.open(portUrl(gateway.workspacePort(), "/"),
                url -> url.getHost().equals(loginHost()) && url.getPath().equals("/callback"));
        URI callback = started.finalUrl();
        assertThat(browser.open(callback).page().statusCode()).isEqualTo(200);

        HttpResponse<String> again = browser.open(callback, url -> !url.getHost().equals(loginHost())).page();

        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(again.headers().firstValue("x-portcullis-reason")).contains("bad-state");
    }

    @Test
    void aForgedReturnToIsRefused() throws Exception {
        for (String rt : List.of("https://evil.example/", "x.y.z", "")) {
            HttpResponse<String> answer = browser.open(URI.create("https://" + loginHost() + ":" + gateway.gatewayPort()
                    + "/start?rt=" + rt)).page();
            assertThat(answer.statusCode()).as(rt).isEqualTo(400);
            assertThat(answer.headers().firstValue("x-portcullis-reason")).as(rt).contains("bad-return-to");
            assertThat(answer.headers().firstValue("location")).isEmpty();
        }
    }

    @Test
    void aTunnelOutlivesItsAccessTokenAndClosesWithACloseFrameWhenTheSessionEnds() throws Exception {
        nextLoginIs("alice", "acme", 2); // the provider's access token lasts 2 s; the session renews it
        nextLoginIs("alice", "acme", 300); // what the provider answers the renewal with
        URI page = portUrl(gateway.workspacePort(), "/");
        browser.open(page);
        java.time.Instant signedIn = java.time.Instant.now();
        String reference = browser.cookie(page, SignIn.SESSION_COOKIE);
        TunnelWatcher tunnel = new TunnelWatcher();
        WebSocket socket = gateway.httpClient().newWebSocketBuilder()
                .header("Cookie", SignIn.SESSION_COOKIE + "=" + reference)
                .header("Origin", "https://" + page.getAuthority()) // as the port's own page opens it
                .buildAsync(URI.create("wss://" + page.getAuthority() + "/echo"), tunnel).get(10, TimeUnit.SECONDS);

        await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(10)).until(() -> !tunnel.closed.isDone());
        socket.sendText("still here", true).get(5, TimeUnit.SECONDS);
        assertThat(tunnel.firstText.get(5, TimeUnit.SECONDS)).isEqualTo("still here");
        Sessions sessions = gateway.server().sessions().orElseThrow();
        assertThat(sessions.lookup(reference).get().orElseThrow().tokenExpiresAt())
                .as("renewed with the refresh token").isAfter(signedIn.plusSeconds(60));

        long endedAt = System.nanoTime();
        gateway.server().sessions().orElseThrow().end(Sessions.idOf(reference)).get(5, TimeUnit.SECONDS);

        assertThat(tunnel.closeFrame.get(5, TimeUnit.SECONDS)).isEqualTo("1008 session-ended");
        assertThat(Duration.ofNanos(System.nanoTime() - endedAt)).isLessThan(Duration.ofSeconds(1));
    }
}
