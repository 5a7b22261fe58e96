package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * Browser sign-in in a real browser (Debian's Chromium, headless) against a real provider
 * (mock-oauth2-server, answering the login at once for the queued user): the round trip back to a
 * deep URL with its query, logout, and a WebSocket that outlives its access token and closes with a
 * close frame the page sees when the session is revoked. Chromium resolves {@code *.localhost} to
 * loopback itself; it trusts the gateway's test certificate by its keys' SPKI hashes.
 */
class SignInBrowserTest {
    private static final String ISSUER_ID = "corp";
    private static final String CLIENT = "portcullis";

    @TempDir
    Path state;

    private MockOAuth2Server provider;
    private GatewayFixture gateway;
    private HeadlessChromium chromium;

    @BeforeEach
    void start() throws Exception {
        HeadlessChromium.assumeAvailable();
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                provider.wellKnownUrl(ISSUER_ID).uri()).timeout(Duration.ofSeconds(60)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        URI issuer = provider.issuerUrl(ISSUER_ID).uri();
        IssuerConfig tokens = IssuerConfig.builder(issuer.toString(), CLIENT).jwks(provider.jwksUrl(ISSUER_ID).uri())
                .algorithms(JWSAlgorithm.RS256).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config
                .identity(IdentityVerifierConfig.builder().issuer(tokens).build())
                .signIn(SignInSettings.of(issuer, CLIENT, new SignInSettings.ClientAuth.Secret("secret"))));
        HeadlessChromium.Builder browser = HeadlessChromium.builder().pageLoadTimeout(Duration.ofSeconds(60));
        for (X509Certificate certificate : chain(state.resolve("tls/server.pem"))) {
            browser.trustingSpki(HeadlessChromium.spkiSha256(certificate)); // the leaf and the CA the gateway sends
        }
        chromium = browser.start();
    }

    @AfterEach
    void stop() {
        if (chromium != null) {
            chromium.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (provider != null) {
            provider.shutdown();
        }
    }

    private static List<X509Certificate> chain(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
        }
    }

    private void nextLoginIs(String user, long tokenSeconds) {
        nextLoginIs(user, "acme", tokenSeconds);
    }

    private void nextLoginIs(String user, String org, long tokenSeconds) {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT", List.of(CLIENT),
                Map.of("org", org), tokenSeconds));
    }

    /** A screenshot for docs/pages.md, in target/screenshots (copied to docs/img by hand when pages change). */
    private void shoot(String name) {
        try {
            Path folder = Files.createDirectories(Path.of("target", "screenshots"));
            Files.copy(driver().getScreenshotAs(org.openqa.selenium.OutputType.FILE).toPath(), folder.resolve(name + ".png"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The page is one of the gateway's styled pages (the shared style sheet ran under its CSP). */
    private void assertStyledPage(String heading) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(driver().getTitle())
                .as(driver().getCurrentUrl() + "\n" + driver().getPageSource()).startsWith(heading));
        assertThat(driver().findElement(org.openqa.selenium.By.tagName("h1")).getText()).isEqualTo(heading);
        assertThat(script("return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(243, 244, 246)");
    }

    @Test
    void accessDeniedOffersAnotherAccountWhichSignsOutOnAStyledPage() {
        nextLoginIs("eve", "globex", 300); // not of the workspace's org
        driver().get(gateway.url("/").toString());
        assertStyledPage("You don't have access");
        assertThat(driver().findElement(org.openqa.selenium.By.tagName("main")).getText()).contains("signed in as eve");
        shoot("page-access-denied-signed-in-desktop");

        driver().findElement(org.openqa.selenium.By.linkText("Use another account")).click();

        assertStyledPage("Signed out");
        shoot("page-signed-out-desktop");
        assertThat(URI.create(driver().getCurrentUrl()).getPath()).isEqualTo("/signed-out");
        nextLoginIs("alice", 300);
        driver().get(gateway.url("/").toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> driver().getCurrentUrl().equals(gateway.url("/").toString()));
        assertThat(driver().getTitle()).contains(dev.portcullis.devkit.workspace.DemoWorkspaceApp.PAGE_TITLE);
    }

    @Test
    void aSpentSignInLinkShowsSignInWhoseButtonSignsInAndComesBackWithoutTheToken() {
        String token = provider.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, "alice", "JWT",
                List.of(CLIENT), Map.of("org", "acme"), 300)).serialize();
        String link = gateway.url("/?tab=2&access_token=" + token).toString();
        driver().get(link);
        driver().manage().deleteAllCookies(); // another browser, or the cookie gone: the link is spent
        driver().get(link);
        assertStyledPage("Sign in to continue");

        nextLoginIs("alice", 300);
        driver().findElement(org.openqa.selenium.By.linkText("Sign in")).click();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(driver().getCurrentUrl())
                .as(driver().getPageSource()).isEqualTo(gateway.url("/?tab=2").toString()));
        assertThat(driver().getTitle()).contains(dev.portcullis.devkit.workspace.DemoWorkspaceApp.PAGE_TITLE);
    }

    private ChromeDriver driver() {
        return chromium.driver();
    }

    private Object script(String code) {
        return ((JavascriptExecutor) driver()).executeScript(code);
    }

    @Test
    void theLoginRoundTripEndsOnTheDeepUrlWithItsQueryAndNoTokenInIt() {
        nextLoginIs("alice", 300);
        String deep = gateway.url("/?tab=echo&n=1").toString();

        driver().get(deep);

        assertThat(driver().getCurrentUrl()).isEqualTo(deep);
        assertThat(driver().getPageSource()).contains(dev.portcullis.devkit.workspace.DemoWorkspaceApp.PAGE_TITLE);
        Cookie session = driver().manage().getCookieNamed(SignIn.SESSION_COOKIE);
        assertThat(session.isSecure()).isTrue();
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getDomain()).isEqualTo(URI.create(deep).getHost()); // host-only
        assertThat(script("return document.cookie")).asString().doesNotContain(SignIn.SESSION_COOKIE);
    }

    /** The provider's authorization requests since the last call (mock-oauth2-server records every request). */
    private List<String> authorizationRequestsSinceLastLook() {
        List<String> seen = new java.util.ArrayList<>();
        while (true) {
            okhttp3.mockwebserver.RecordedRequest request;
            try {
                request = provider.takeRequest(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                return seen; // "no request found in queue within timeout": all seen
            }
            if (request.getRequestUrl() != null && request.getRequestUrl().encodedPath().endsWith("/authorize")) {
                seen.add(request.getRequestUrl().toString());
            }
        }
    }

    @Test
    void aSecondPortHostSignsInWithoutTheProviderAndLogoutOnItEndsBoth() {
        nextLoginIs("alice", 300);
        URI first = gateway.url("/");
        driver().get(first.toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> driver().getCurrentUrl().equals(first.toString()));
        authorizationRequestsSinceLastLook(); // the first port host's, forgotten
        int otherPort = gateway.workspacePort() == 1 ? 2 : gateway.workspacePort() - 1; // nothing listens there
        URI second = gateway.url(otherPort, GatewayFixture.WORKSPACE, "/deep?x=1");

        driver().get(second.toString());

        assertThat(driver().getCurrentUrl()).isEqualTo(second.toString());
        assertThat(authorizationRequestsSinceLastLook()).as("no provider, no login form for the second host").isEmpty();
        assertThat(driver().manage().getCookieNamed(SignIn.SESSION_COOKIE)).as("its own host-only cookie").isNotNull();
        assertThat(driver().getTitle()).as("signed in: the port is just not served").contains("not served yet");

        driver().get(gateway.url(otherPort, GatewayFixture.WORKSPACE, "/.portcullis/logout").toString());

        assertThat(URI.create(driver().getCurrentUrl()).getPath()).isEqualTo("/signed-out");
        nextLoginIs("alice", 300);
        driver().get(first + "?after=logout"); // the first host's cookie is still in the browser, its session is not
        await().atMost(Duration.ofSeconds(60)).until(() -> driver().getCurrentUrl().equals(first + "?after=logout"));
        assertThat(authorizationRequestsSinceLastLook()).as("the first host's session ended too: through the provider again")
                .hasSize(1);
    }

    @Test
    void logoutEndsTheSessionForThePagesScripts() {
        nextLoginIs("alice", 300);
        driver().get(gateway.url("/").toString());
        assertThat(script("return fetch('/').then(r => r.status)")).isEqualTo(200L);
        String reference = driver().manage().getCookieNamed(SignIn.SESSION_COOKIE).getValue();

        driver().get(gateway.url("/.portcullis/logout").toString());

        assertThat(URI.create(driver().getCurrentUrl()).getPath()).isEqualTo("/signed-out");
        assertThat(gateway.server().sessions().orElseThrow().lookup(reference).join()).isEmpty();
        nextLoginIs("alice", 300);
        driver().get(gateway.url("/").toString()); // signs in anew: a new session, the old reference stays dead
        assertThat(driver().manage().getCookieNamed(SignIn.SESSION_COOKIE).getValue()).isNotEqualTo(reference);
        assertThat(script("return fetch('/').then(r => r.status)")).isEqualTo(200L);
    }

    @Test
    void aWebSocketOutlivesItsTokenAndThePageSeesTheCloseFrameWhenTheSessionIsRevoked() {
        nextLoginIs("alice", 2); // the access token lasts 2 s; the session renews it
        driver().get(gateway.url("/").toString());
        script("""
                window.events = [];
                const socket = new WebSocket('wss://' + location.host + '/echo');
                socket.onopen = () => window.events.push('open');
                socket.onmessage = m => window.events.push('message:' + m.data);
                socket.onclose = e => window.events.push('close:' + e.code + ':' + e.reason);
                window.socket = socket;
                """);
        await().atMost(Duration.ofSeconds(10)).until(() -> script("return window.events.join(',')").toString().contains("open"));

        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
                .until(() -> !script("return window.events.join(',')").toString().contains("close"));
        script("window.socket.send('after the token expired')");
        await().atMost(Duration.ofSeconds(5)).until(() -> script("return window.events.join(',')").toString()
                .contains("message:after the token expired"));

        String reference = driver().manage().getCookieNamed(SignIn.SESSION_COOKIE).getValue();
        gateway.server().sessions().orElseThrow().end(Sessions.idOf(reference)).join();

        await().atMost(Duration.ofSeconds(2)).until(() -> script("return window.events.join(',')").toString()
                .contains("close:1008:session-ended"));
    }
}
