package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.testing.CookieBrowser;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
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
 * Sign-in on a fleet: gateways on one real etcd with one sign-in key. A ticket made by one gateway
 * is taken by another, once; replayed on the first one or on a gateway started afterwards, it is
 * refused; the session it opened serves on every gateway and ends on all of them at once. Chromium
 * replays a used ticket URL and a used {@code ?access_token=} URL on the other gateway and after a
 * restart, and is refused both times.
 */
class SignInAcrossGatewaysTest {
    private static final String ISSUER_ID = "corp";
    private static final String CLIENT = "portcullis";

    @TempDir
    Path state;

    private EtcdCluster etcd;
    private MockOAuth2Server provider;
    private GatewayFixture first;
    private GatewayFixture second;

    @BeforeEach
    void start() throws Exception {
        etcd = EtcdCluster.start(1);
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                provider.wellKnownUrl(ISSUER_ID).uri()).timeout(Duration.ofSeconds(60)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        first = gateway("first");
        second = gateway("second");
    }

    private GatewayFixture gateway(String name) throws Exception {
        URI issuer = provider.issuerUrl(ISSUER_ID).uri();
        IssuerConfig tokens = IssuerConfig.builder(issuer.toString(), CLIENT).jwks(provider.jwksUrl(ISSUER_ID).uri())
                .algorithms(JWSAlgorithm.RS256).build();
        // One state folder: the gateways share the test CA, as a fleet shares its certificates.
        return GatewayFixture.start(Transport.best(), state, config -> config
                .identity(IdentityVerifierConfig.builder().issuer(tokens).build())
                .store(StoreSettings.etcd(etcd.endpoints()))
                .signIn(SignInSettings.of(issuer, CLIENT, new SignInSettings.ClientAuth.Secret("secret"))
                        .withFiles(Optional.of(state.resolve("signin-key.json")), Optional.empty())));
    }

    @AfterEach
    void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {first, second}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
        if (provider != null) {
            provider.shutdown();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    /** {@code url} with its port changed to the port of {@code gateway}: the same host through another gateway. */
    private static URI through(GatewayFixture gateway, URI url) {
        return URI.create("https://" + url.getHost() + ":" + gateway.gatewayPort() + url.getRawPath()
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()));
    }

    private HeadlessChromium chromium() throws Exception {
        HeadlessChromium.Builder builder = HeadlessChromium.builder().pageLoadTimeout(Duration.ofSeconds(60));
        try (InputStream in = Files.newInputStream(state.resolve("tls/server.pem"))) {
            for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                builder.trustingSpki(HeadlessChromium.spkiSha256((X509Certificate) certificate));
            }
        }
        return builder.start();
    }

    /** What Chromium shows for {@code url}: its final URL and its page. */
    private static String[] visit(HeadlessChromium chromium, URI url) {
        chromium.driver().get(url.toString());
        return new String[] {chromium.driver().getCurrentUrl(), chromium.driver().getPageSource()};
    }

    @Test
    void chromiumReplayingATicketUrlOnTheOtherGatewayOrAfterARestartIsRefused() throws Exception {
        HeadlessChromium.assumeAvailable();
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "alice", "JWT", List.of(CLIENT),
                Map.of("org", "acme"), 300));
        URI page = first.url("/");
        URI ticket = new CookieBrowser(first.clientTls()).open(page, url -> url.getPath().equals(SignIn.TICKET_PATH))
                .finalUrl(); // the link as it would leak from a history, a log or a shoulder
        try (HeadlessChromium chromium = chromium()) {
            String[] used = visit(chromium, ticket);
            assertThat(used[0]).as("the first use signs in").isEqualTo(page.toString());

            chromium.driver().manage().deleteAllCookies();
            String[] onSecond = visit(chromium, through(second, ticket));
            assertThat(onSecond[1]).as("replayed on the other gateway").contains("already used or has expired");
            assertThat(chromium.driver().manage().getCookieNamed(SignIn.SESSION_COOKIE)).isNull();

            second.close();
            second = gateway("second");
            String[] afterRestart = visit(chromium, through(second, ticket));
            assertThat(afterRestart[1]).as("replayed after a restart").contains("already used or has expired");
            assertThat(chromium.driver().manage().getCookieNamed(SignIn.SESSION_COOKIE)).isNull();
        }
    }

    @Test
    void chromiumReplayingAnAccessTokenUrlOnTheOtherGatewayOrAfterARestartIsRefused() throws Exception {
        HeadlessChromium.assumeAvailable();
        String token = provider.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, "alice", "JWT",
                List.of(CLIENT), Map.of("org", "acme"), 300)).serialize();
        URI link = first.url("/?tab=1&access_token=" + token);
        try (HeadlessChromium chromium = chromium()) {
            String[] used = visit(chromium, link);
            assertThat(used[0]).as("the first use signs in and drops the token from the URL")
                    .isEqualTo(first.url("/?tab=1").toString());

            chromium.driver().manage().deleteAllCookies();
            String[] onSecond = visit(chromium, through(second, link));
            assertThat(onSecond[1]).as("replayed on the other gateway").contains("already used on");
            assertThat(chromium.driver().manage().getCookieNamed(SignIn.SESSION_COOKIE)).isNull();

            second.close();
            second = gateway("second");
            String[] afterRestart = visit(chromium, through(second, link));
            assertThat(afterRestart[1]).as("replayed after a restart").contains("already used on");
            assertThat(chromium.driver().manage().getCookieNamed(SignIn.SESSION_COOKIE)).isNull();
        }
    }

    @Test
    void aTicketIsTakenOnceAcrossTheFleetAndAfterARestart() throws Exception {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "alice", "JWT", List.of(CLIENT),
                Map.of("org", "acme"), 300));
        CookieBrowser browser = new CookieBrowser(first.clientTls());
        URI page = first.url("/");
        URI ticket = browser.open(page, url -> url.getPath().equals(SignIn.TICKET_PATH)).finalUrl();

        CookieBrowser.Visit onSecond = browser.open(through(second, ticket));
        assertThat(onSecond.page().statusCode()).as(onSecond.urls().toString()).isEqualTo(200);
        String reference = browser.cookie(through(second, page), SignIn.SESSION_COOKIE);
        assertThat(browser.fetch(page).statusCode()).as("the session serves on the first gateway too").isEqualTo(200);

        HttpResponse<String> replayOnFirst = new CookieBrowser(first.clientTls()).open(ticket).page();
        assertThat(replayOnFirst.headers().firstValue("x-portcullis-reason")).contains("ticket-invalid");

        second.close();
        second = gateway("second");
        HttpResponse<String> replayAfterRestart = new CookieBrowser(second.clientTls()).open(through(second, ticket)).page();
        assertThat(replayAfterRestart.headers().firstValue("x-portcullis-reason")).contains("ticket-invalid");
        assertThat(browser.fetch(through(second, page)).statusCode()).as("the session survived the restart").isEqualTo(200);

        second.server().sessions().orElseThrow().end(Sessions.idOf(reference)).join();
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(browser.fetch(page).statusCode()).as("ended on the other gateway").isEqualTo(401));
    }
}
