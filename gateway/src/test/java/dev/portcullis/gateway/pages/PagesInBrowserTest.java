package dev.portcullis.gateway.pages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.testing.BrowserGateway;
import dev.portcullis.gateway.testing.BrowserTestSite;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The pages for people in a real Chromium, on a desktop and a phone width: each one is reached the
 * way a person reaches it, renders with its inline style and script allowed by the page's own
 * Content-Security-Policy (so the page looks as designed), and is saved as a screenshot under
 * {@code target/screenshots/} for a person to look at. The pages that wait retry by themselves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PagesInBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    // The page background of PageLayout's light scheme: proof the style sheet passed the CSP.
    private static final String STYLED_BACKGROUND = "rgb(243, 244, 246)";

    private BrowserGateway gateway;
    private BrowserTestSite site;

    @BeforeAll
    void start(@TempDir Path state) throws Exception {
        gateway = BrowserGateway.start(state);
        site = new BrowserTestSite(0, BrowserGateway.BASE_DOMAIN);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    void stop() {
        if (site != null) {
            site.close();
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void everyPageOnADesktop() throws Exception {
        showEveryPage(1280, 900, "desktop");
    }

    @Test
    void everyPageOnAPhone() throws Exception {
        showEveryPage(390, 844, "phone");
    }

    private void showEveryPage(int width, int height, String device) throws Exception {
        try (HeadlessChromium browser = gateway.browser(Math.max(width, 800), height)) {
            ChromeDriver driver = browser.driver();
            if (width < 800) {
                // A desktop window has a minimum width; a phone's viewport comes from device emulation.
                driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                        Map.of("width", width, "height", height, "deviceScaleFactor", 2, "mobile", true));
            }
            String a = gateway.origin(site.port(), "wsa");

            driver.get(a + "/");
            assertPage(driver, "Sign in to continue", "is not public");
            shoot(driver, "sign-in-needed-" + device);

            driver.get(gateway.signInUrl(site.port(), "wsa", "/", "bob", "acme"));
            assertPage(driver, "You don't have access", "You are signed in as bob");
            assertThat(driver.getPageSource()).contains("The owner has not shared this port with anyone.")
                    .contains("portcullis share wsa " + site.port() + " --level users --users bob");
            shoot(driver, "access-denied-" + device);

            gateway.access().putShare(WorkspaceId.of("wsa"), new PortShare(site.port(), ShareLevel.ORGANIZATION,
                    Set.of(), Set.of(), Instant.now().minusSeconds(1)));
            driver.navigate().refresh();
            assertPage(driver, "Your access has ended", "share of this port has ended");
            shoot(driver, "access-revoked-" + device);
            gateway.access().deleteShare(WorkspaceId.of("wsa"), site.port());

            driver.get(gateway.origin(site.port(), BrowserGateway.STOPPED_WORKSPACE) + "/");
            assertPage(driver, "This workspace is stopped", "opens by itself");
            assertCountsDown(driver);
            shoot(driver, "workspace-stopped-" + device);

            int unserved = GatewayFixture.unusedPort();
            driver.get(gateway.signInUrl(unserved, "wsa", "/", "alice", "acme"));
            assertPage(driver, "This port is not served yet", "answers on port " + unserved + " yet");
            assertCountsDown(driver);
            shoot(driver, "port-not-served-" + device);

            driver.get(gateway.signInUrl(site.port(), "wsa", "/", "alice", "acme"));
            driver.get(gateway.signInUrl(site.port(), "wsb", "/", "alice", "acme"));
            driver.get(a + "/form?target=" + gateway.origin(site.port(), "wsb"));
            await().atMost(WAIT).until(() -> driver.getTitle().startsWith("You don't have access"));
            assertPage(driver, "You don't have access", "came from a page of another site or workspace");
            shoot(driver, "cross-origin-refused-" + device);
        }
    }

    @Test
    void aPortNotServedYetOpensByItselfOnceTheAppListens() throws Exception {
        int port = GatewayFixture.unusedPort();
        try (HeadlessChromium browser = gateway.browser(1280, 900)) {
            ChromeDriver driver = browser.driver();
            driver.get(gateway.signInUrl(port, "wsb", "/", "alice", "acme"));
            assertPage(driver, "This port is not served yet", "answers on port " + port);

            try (BrowserTestSite late = new BrowserTestSite(port, BrowserGateway.BASE_DOMAIN)) {
                // Waits of 2, 4, 8 s: the app is found at the latest on the third try.
                await().atMost(Duration.ofSeconds(30)).until(() -> driver.getTitle().equals(BrowserTestSite.APP_TITLE));
                assertThat(late.port()).isEqualTo(port);
            }
        }
    }

    private static void assertPage(ChromeDriver driver, String heading, String text) {
        await().atMost(WAIT).until(() -> driver.getTitle().startsWith(heading));
        assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo(heading);
        assertThat(driver.findElement(By.tagName("main")).getText()).contains(text);
        assertThat(driver.findElements(By.tagName("h1"))).hasSize(1);
        assertThat(driver.executeScript("return document.documentElement.lang")).isEqualTo("en");
        assertThat(driver.executeScript("return getComputedStyle(document.body).backgroundColor"))
                .isEqualTo(STYLED_BACKGROUND);
        // Nothing wider than the window: readable on a phone without scrolling sideways.
        assertThat((Long) driver.executeScript("return document.documentElement.scrollWidth - window.innerWidth"))
                .isLessThanOrEqualTo(0L);
    }

    /** The retry script ran (the CSP let it): the countdown shows seconds. */
    private static void assertCountsDown(ChromeDriver driver) {
        await().atMost(WAIT).until(() -> driver.findElement(By.id("retry-in")).getText().endsWith("second")
                || driver.findElement(By.id("retry-in")).getText().endsWith("seconds"));
    }

    private static void shoot(ChromeDriver driver, String name) throws Exception {
        Path file = driver.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(file, SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
