package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * Admins change the org's policy in their own browsers on a gateway whose policies live in the
 * (embedded) store, which gives them revisions. Two at once: the first apply wins, the second is told
 * about the other's change and nothing of theirs is written.
 */
class ConsolePolicyConflictTest {
    @TempDir
    Path state;

    private ConsoleBrowsers browsers;

    @BeforeEach
    void start() throws Exception {
        browsers = ConsoleBrowsers.start(state, config -> config
                .store(StoreSettings.embedded(state.resolve("store.json")))
                .access(new AccessSettings(Optional.empty(), ShareLevel.ORGANIZATION, "portcullis_admin")));
    }

    @AfterEach
    void stop() {
        if (browsers != null) {
            browsers.close();
        }
    }

    private static void write(ChromeDriver admin, String maxLevel) {
        WebElement editor = admin.findElement(By.id("policy-text"));
        editor.clear();
        editor.sendKeys("apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: " + maxLevel + "\n");
    }

    @Test
    void twoAdminsApplyingFromTheSameRevisionGetOneSuccessAndOneConflict() throws Exception {
        ChromeDriver carol = browsers.signedInAtConsole("carol", true);
        ChromeDriver dave = browsers.signedInAtConsole("dave", true);
        ConsoleBrowsers.load(carol, browsers.console("/console/policy"));
        ConsoleBrowsers.load(dave, browsers.console("/console/policy"));
        write(carol, "users");
        write(dave, "public");

        carol.findElement(By.id("policy-apply")).click();
        dave.findElement(By.id("policy-apply")).click();

        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                assertThat(carol.findElement(By.cssSelector("[role=status]")).getText()).contains("Applied"));
        String revision = carol.findElement(By.id("policy-revision")).getText();
        assertThat(dave.findElement(By.cssSelector("[role=alert]")).getText())
                .contains("Someone else changed the policy since you loaded revision 0")
                .contains("it is now revision " + revision);
        assertThat(dave.findElement(By.id("policy-text")).getAttribute("value")).contains("maxLevel: public"); // kept
        ConsoleBrowsers.screenshot(dave, "policy-conflict");

        ConsoleBrowsers.load(dave, browsers.console("/console/policy"));
        assertThat(dave.findElement(By.id("policy-text")).getAttribute("value")).contains("maxLevel: users");
    }
}
