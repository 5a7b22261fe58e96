package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A gateway with browser sign-in against a real provider (mock-oauth2-server, answering each login
 * at once for the user queued for it), and headless Chromium browsers, one per person, that sign in
 * at the console. Skips, saying why, where Chromium is missing.
 */
final class ConsoleBrowsers implements AutoCloseable {
    private static final String ISSUER_ID = "corp";
    private static final String CLIENT = "portcullis";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final MockOAuth2Server provider;
    private final GatewayFixture gateway;
    private final HeadlessChromium.Builder browsers;
    private final List<HeadlessChromium> open = new ArrayList<>();

    private ConsoleBrowsers(MockOAuth2Server provider, GatewayFixture gateway, HeadlessChromium.Builder browsers) {
        this.provider = provider;
        this.gateway = gateway;
        this.browsers = browsers;
    }

    /**
     * A console on a gateway whose org maximum is organization, with alice's fixture workspace and
     * {@code others} routed to loopback.
     */
    static ConsoleBrowsers startWithWorkspaces(Path state, WorkspaceRoute... others) throws Exception {
        List<WorkspaceRoute> routes = new ArrayList<>();
        routes.add(workspace(GatewayFixture.WORKSPACE, GatewayFixture.OWNER, GatewayFixture.ORG));
        routes.addAll(List.of(others));
        return start(state, config -> config
                .access(new AccessSettings(Optional.empty(), ShareLevel.ORGANIZATION, "portcullis_admin"))
                .routes(RouteTable.of(routes)));
    }

    /** A running workspace on loopback owned by {@code owner} of {@code org}. */
    static WorkspaceRoute workspace(String id, String owner, String org) {
        return WorkspaceRoute.owned(id, InetAddress.getLoopbackAddress(), true, Set.of(), owner, org, Map.of());
    }

    static ConsoleBrowsers start(Path state, Consumer<GatewayConfig.Builder> customize) throws Exception {
        HeadlessChromium.assumeAvailable();
        Files.createDirectories(SCREENSHOTS);
        MockOAuth2Server provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        try {
            java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    provider.wellKnownUrl(ISSUER_ID).uri()).timeout(Duration.ofSeconds(60)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            URI issuer = provider.issuerUrl(ISSUER_ID).uri();
            IssuerConfig tokens = IssuerConfig.builder(issuer.toString(), CLIENT).jwks(provider.jwksUrl(ISSUER_ID).uri())
                    .algorithms(JWSAlgorithm.RS256).build();
            GatewayFixture gateway = GatewayFixture.start(Transport.best(), state, config -> {
                config.identity(IdentityVerifierConfig.builder().issuer(tokens).build())
                        .signIn(SignInSettings.of(issuer, CLIENT, new SignInSettings.ClientAuth.Secret("secret")));
                customize.accept(config);
            });
            HeadlessChromium.Builder browsers = HeadlessChromium.builder().pageLoadTimeout(Duration.ofSeconds(60));
            try (InputStream in = Files.newInputStream(state.resolve("tls/server.pem"))) {
                for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    browsers.trustingSpki(HeadlessChromium.spkiSha256((X509Certificate) certificate));
                }
            }
            return new ConsoleBrowsers(provider, gateway, browsers);
        } catch (Exception | Error e) {
            provider.shutdown();
            throw e;
        }
    }

    GatewayFixture gateway() {
        return gateway;
    }

    String console(String path) {
        return "https://login." + GatewayFixture.BASE_DOMAIN + ":" + gateway.gatewayPort() + path;
    }

    /** The next sign-in at the provider is {@code user} of acme, an admin of it when {@code admin}. */
    void nextLoginIs(String user, boolean admin) {
        Map<String, Object> claims = new HashMap<>(Map.of("org", GatewayFixture.ORG));
        if (admin) {
            claims.put("portcullis_admin", true);
        }
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT", List.of(CLIENT), claims, 600));
    }

    /** A bearer token from the provider for {@code user} of {@code org}, as an API client would hold one. */
    String tokenOf(String user, String org) {
        return tokenOf(user, org, false);
    }

    /** A bearer token for {@code user} of {@code org}, carrying the admin claim when {@code admin}. */
    String tokenOf(String user, String org, boolean admin) {
        Map<String, Object> claims = new HashMap<>(Map.of("org", org));
        if (admin) {
            claims.put("portcullis_admin", true);
        }
        return provider.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, user, "JWT",
                List.of(CLIENT), claims, 600)).serialize();
    }

    /**
     * A browser of its own, past its first page load: a fresh headless Chromium may call its first
     * navigation "interrupted" (a network change it notices while starting), which would lose a
     * sign-in half way.
     */
    ChromeDriver newBrowser() {
        HeadlessChromium chromium = browsers.start();
        open.add(chromium);
        load(chromium.driver(), console("/console/console.css"));
        return chromium.driver();
    }

    /** A browser of its own for {@code user} in acme, signed in at the console. */
    ChromeDriver signedInAtConsole(String user, boolean admin) {
        ChromeDriver driver = newBrowser();
        // A network change that Chromium notices half way through the redirects (see load) can leave the
        // browser on a step of the sign-in, or signed in as the provider's default user when the queued
        // login was spent on the broken attempt: then it signs out and starts again with a new login.
        for (int attempt = 1; attempt <= 3 && !signedInAs(driver, user); attempt++) {
            if (driver.getCurrentUrl().equals(console("/"))) {
                load(driver, console("/logout"));
            }
            nextLoginIs(user, admin);
            load(driver, console("/"));
        }
        assertThat(signedInAs(driver, user)).as("signed in as " + user + " at " + driver.getCurrentUrl()).isTrue();
        assertThat(driver.getCurrentUrl()).isEqualTo(console("/"));
        return driver;
    }

    private boolean signedInAs(ChromeDriver driver, String user) {
        return driver.getCurrentUrl().equals(console("/")) && driver.findElements(By.cssSelector(".who strong")).stream()
                .anyMatch(who -> who.getText().startsWith(user + "@"));
    }

    /**
     * Opens {@code url}, again when Chromium answered with its own network error page: on a machine
     * where other tests add and remove network interfaces, Chromium notices "network changes" and
     * drops the page load in flight (ERR_NETWORK_CHANGED). Only page loads are repeated, never a post.
     */
    /**
     * The element once the page that was loading shows it (Selenium's own wait: it polls and names what it
     * waited for): after a click that posts a form, the next page may not be there yet.
     */
    static WebElement present(ChromeDriver driver, By locator) {
        return new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.presenceOfElementLocated(locator));
    }

    /**
     * Waits until the page that showed {@code element} is replaced (a form post answered by a new
     * page). A look at an element whose document is being replaced gets "stale element reference"
     * from chromedriver or, in a narrow window, an unknown error "Node with given id does not belong
     * to the document"; Selenium's {@code stalenessOf} lets the second one escape (it failed a clean-clone
     * CI run of ConsoleExplainTokenTest). Both mean the page is gone.
     */
    static void awaitReplaced(ChromeDriver driver, WebElement element) {
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(any -> isReplaced(element));
    }

    private static boolean isReplaced(WebElement element) {
        try {
            element.isEnabled();
            return false;
        } catch (StaleElementReferenceException gone) {
            return true;
        } catch (WebDriverException e) {
            if (String.valueOf(e.getMessage()).contains("does not belong to the document")) {
                return true;
            }
            throw e;
        }
    }

    static WebElement clickable(ChromeDriver driver, By locator) {
        return new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.elementToBeClickable(locator));
    }

    static void load(ChromeDriver driver, String url) {
        for (int attempt = 1; ; attempt++) {
            driver.get(url);
            boolean networkError = !driver.findElements(By.cssSelector("body.neterror")).isEmpty();
            if (!networkError || attempt == 4) {
                return;
            }
        }
    }

    static void screenshot(ChromeDriver driver, String name) throws Exception {
        Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOTS.resolve("console-" + name + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        open.forEach(HeadlessChromium::close);
        gateway.close();
        provider.shutdown();
    }
}
