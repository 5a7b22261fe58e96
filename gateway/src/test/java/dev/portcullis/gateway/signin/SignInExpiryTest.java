package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.auth.MutableClock;
import dev.portcullis.gateway.testing.CookieBrowser;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sign-in's time limits through the real gateway, on a clock the test moves: a ticket is good
 * for 60 s and a signed return-to link for 10 minutes, and not a moment longer.
 */
class SignInExpiryTest {
    private static final String ISSUER_ID = "corp";
    private static final String CLIENT = "portcullis";

    @TempDir
    Path state;

    private final MutableClock clock = new MutableClock(Instant.now());
    private MockOAuth2Server provider;
    private GatewayFixture gateway;
    private CookieBrowser browser;

    @BeforeEach
    void start() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        URI issuer = provider.issuerUrl(ISSUER_ID).uri();
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                provider.wellKnownUrl(ISSUER_ID).uri()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.discarding());
        IssuerConfig tokens = IssuerConfig.builder(issuer.toString(), CLIENT).jwks(provider.jwksUrl(ISSUER_ID).uri())
                .algorithms(JWSAlgorithm.RS256).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config
                .identity(IdentityVerifierConfig.builder().issuer(tokens).build())
                .signIn(SignInSettings.of(issuer, CLIENT, new SignInSettings.ClientAuth.Secret("secret")).withClock(clock)));
        browser = new CookieBrowser(gateway.clientTls());
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        provider.shutdown();
    }

    private void nextLoginIs(String user) {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT", List.of(CLIENT),
                Map.of("org", "acme"), 3600));
    }

    private URI page() {
        return gateway.url(gateway.workspacePort(), GatewayFixture.WORKSPACE, "/?from=expiry");
    }

    /** Signs in up to the ticket and stops there: the URL the login host sent the browser to. */
    private URI ticketUrl() throws Exception {
        nextLoginIs("alice");
        return browser.open(page(), url -> url.getPath().equals(SignIn.TICKET_PATH)).finalUrl();
    }

    @Test
    void aTicketPastItsSixtySecondsIsRefusedAndOpensNothing() throws Exception {
        URI ticket = ticketUrl();
        clock.advance(Sessions.TICKET_LIFETIME.plusSeconds(1));

        CookieBrowser.Visit late = browser.open(ticket);

        assertThat(late.page().statusCode()).isEqualTo(400);
        assertThat(late.page().headers().firstValue("x-portcullis-reason")).contains("ticket-invalid");
        assertThat(late.urls()).hasSize(1); // no redirect onwards
        assertThat(browser.cookie(ticket, SignIn.SESSION_COOKIE)).isNull();
    }

    @Test
    void aTicketJustInsideItsSixtySecondsOpensTheSession() throws Exception {
        URI ticket = ticketUrl();
        clock.advance(Sessions.TICKET_LIFETIME.minusSeconds(1));

        CookieBrowser.Visit inTime = browser.open(ticket);

        assertThat(inTime.page().statusCode()).as(inTime.urls().toString()).isEqualTo(200);
        assertThat(inTime.finalUrl()).isEqualTo(page());
        assertThat(browser.cookie(ticket, SignIn.SESSION_COOKIE)).isNotNull();
    }

    @Test
    void aTicketForAnotherPortHostIsRefusedThere() throws Exception {
        URI ticket = ticketUrl();
        URI elsewhere = gateway.url(gateway.workspacePort() - 1, GatewayFixture.WORKSPACE,
                SignIn.TICKET_PATH + "?" + ticket.getRawQuery());

        HttpResponse<String> answer = browser.open(elsewhere).page();

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.headers().firstValue("x-portcullis-reason")).contains("ticket-for-another-host");
        assertThat(browser.cookie(elsewhere, SignIn.SESSION_COOKIE)).isNull();
    }

    @Test
    void aReturnToLinkPastItsTenMinutesIsRefusedBeforeTheProvider() throws Exception {
        URI start = browser.open(page(), url -> url.getPath().equals("/start")).finalUrl();
        clock.advance(Duration.ofMinutes(10).plusSeconds(1));

        CookieBrowser.Visit late = browser.open(start);

        assertThat(late.page().statusCode()).isEqualTo(400);
        assertThat(late.page().headers().firstValue("x-portcullis-reason")).contains("bad-return-to");
        assertThat(late.urls()).hasSize(1); // never sent on to the provider
    }

    @Test
    void aReturnToLinkInsideItsTenMinutesLeadsOnToTheProviderAndBack() throws Exception {
        URI start = browser.open(page(), url -> url.getPath().equals("/start")).finalUrl();
        clock.advance(Duration.ofMinutes(9));
        nextLoginIs("alice");

        CookieBrowser.Visit inTime = browser.open(start);

        assertThat(inTime.page().statusCode()).as(inTime.urls().toString()).isEqualTo(200);
        assertThat(inTime.finalUrl()).isEqualTo(page());
    }
}
