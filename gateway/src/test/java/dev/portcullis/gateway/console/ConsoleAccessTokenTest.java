package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.policy.ShareLevel;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The console signs a browser in with a one-time {@code ?access_token=<JWT>} link (the demo prints
 * one for its admin): the token is verified like any other, works once, leaves the URL, and gives
 * exactly the power its claims give.
 */
class ConsoleAccessTokenTest {
    @TempDir
    static Path state;

    private static ConsoleBrowsers browsers;

    @BeforeAll
    static void start() throws Exception {
        browsers = ConsoleBrowsers.start(state, config -> config
                .access(new AccessSettings(Optional.empty(), ShareLevel.ORGANIZATION, "portcullis_admin")));
    }

    @AfterAll
    static void stop() {
        if (browsers != null) {
            browsers.close();
        }
    }

    @Test
    void anAdminTokenLinkSignsInOnceAtThePolicyPageAndAReplayIsRefused() throws Exception {
        String link = browsers.console("/console/policy?access_token=" + browsers.tokenOf("carol", GatewayFixture.ORG, true));
        ChromeDriver admin = browsers.newBrowser();
        ConsoleBrowsers.load(admin, link);

        assertThat(admin.getCurrentUrl()).isEqualTo(browsers.console("/console/policy")); // the token left the URL
        assertThat(admin.findElement(By.cssSelector(".who strong")).getText()).startsWith("carol@");
        assertThat(admin.findElements(By.id("policy-text"))).hasSize(1);
        ConsoleBrowsers.load(admin, browsers.console("/console/policy")); // a session now, no token needed
        assertThat(admin.findElements(By.id("policy-text"))).hasSize(1);

        ChromeDriver replay = browsers.newBrowser();
        ConsoleBrowsers.load(replay, link);
        assertThat(replay.findElement(By.tagName("body")).getText()).contains("query-token-reused").contains("already used");
        assertThat(replay.manage().getCookieNamed("__Host-portcullis")).isNull();
    }

    @Test
    void aNonAdminTokenSignsInAnOwnerWhoGetsNoPolicyPage() {
        ChromeDriver owner = browsers.newBrowser();
        ConsoleBrowsers.load(owner, browsers.console("/console/policy?access_token="
                + browsers.tokenOf("bob", GatewayFixture.ORG, false)));

        assertThat(owner.getCurrentUrl()).isEqualTo(browsers.console("/console/policy"));
        assertThat(owner.findElement(By.tagName("main")).getText()).contains("Only an admin of an org may see or change its policy.");
        assertThat(owner.findElements(By.id("policy-text"))).isEmpty();
        ConsoleBrowsers.load(owner, browsers.console("/"));
        assertThat(owner.findElement(By.cssSelector(".who strong")).getText()).startsWith("bob@");
    }

    @Test
    void aTokenWithABrokenSignatureSignsNobodyIn() {
        String token = browsers.tokenOf("carol", GatewayFixture.ORG, true);
        String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA" + token.substring(token.lastIndexOf('.') + 5);
        ChromeDriver stranger = browsers.newBrowser();
        ConsoleBrowsers.load(stranger, browsers.console("/console/policy?access_token=" + forged));

        assertThat(stranger.findElement(By.tagName("body")).getText()).contains("unauthenticated").contains("token in the URL");
        assertThat(stranger.manage().getCookieNamed("__Host-portcullis")).isNull();
    }
}
