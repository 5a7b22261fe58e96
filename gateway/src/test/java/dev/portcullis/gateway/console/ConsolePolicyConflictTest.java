package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.testing.GatewayFixture;
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
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * Admins change the org's policy in their own browsers on a gateway whose policies live in the
 * (embedded) store, which gives them revisions. Two at once: the first apply wins, the second is told
 * about the other's change and nothing of theirs is written. A dry run lists a teammate's open
 * WebSocket that the new version would cut, which stays open until the version is applied.
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

    private static String policy(String maxLevel) {
        return "apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: " + maxLevel + "\n";
    }

    private static void write(ChromeDriver admin, String maxLevel) {
        WebElement editor = admin.findElement(By.id("policy-text"));
        editor.clear();
        editor.sendKeys(policy(maxLevel));
    }

    @Test
    void aDryRunListsATeammatesOpenWebSocketThatTheNewVersionCutsAndApplyingClosesIt() throws Exception {
        GatewayFixture gateway = browsers.gateway();
        ChromeDriver alice = browsers.signedInAtConsole(GatewayFixture.OWNER, false); // shares the port with acme
        alice.findElement(By.cssSelector("#ws-" + GatewayFixture.WORKSPACE + " ~ details summary")).click();
        alice.findElement(By.id("port-" + GatewayFixture.WORKSPACE + "-new")).sendKeys(Integer.toString(gateway.workspacePort()));
        new Select(alice.findElement(By.id("level-" + GatewayFixture.WORKSPACE + "-new"))).selectByValue("organization");
        alice.findElement(By.id("save-" + GatewayFixture.WORKSPACE + "-new")).click();
        assertThat(ConsoleBrowsers.present(alice, By.id("effective-" + GatewayFixture.WORKSPACE + "-" + gateway.workspacePort())).getText())
                .isEqualTo("organization");
        ChromeDriver bob = browsers.newBrowser();
        browsers.nextLoginIs("bob", false);
        ConsoleBrowsers.load(bob, gateway.url("/").toString());
        script(bob, """
                window.events = [];
                const socket = new WebSocket('wss://' + location.host + '/echo');
                socket.onopen = () => window.events.push('open');
                socket.onclose = e => window.events.push('close:' + e.code + ':' + e.reason);
                """);
        await().atMost(Duration.ofSeconds(10)).until(() -> script(bob, "return window.events.join(',')").equals("open"));

        ChromeDriver carol = browsers.signedInAtConsole("carol", true);
        ConsoleBrowsers.load(carol, browsers.console("/console/policy"));
        write(carol, "users"); // an org share narrowed to named users, and bob is not named
        carol.findElement(By.id("policy-dry-run")).click();

        String cut = ConsoleBrowsers.present(carol, By.id("dry-run-connections")).getText();
        assertThat(cut).contains("bob@").contains(GatewayFixture.WORKSPACE + ":" + gateway.workspacePort());
        assertThat(script(bob, "return window.events.join(',')")).isEqualTo("open"); // a dry run changes nothing
        // The browser posts the editor's lines with CRLF; the page shows the text back as typed (it once
        // showed a '?' per line, which the apply then sent back as a YAML error).
        assertThat(carol.findElement(By.id("policy-text")).getAttribute("value")).isEqualTo(policy("users").strip());
        ConsoleBrowsers.screenshot(carol, "policy-dry-run-connections");

        carol.findElement(By.id("policy-apply")).click();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                assertThat(carol.findElement(By.cssSelector("[role=status]")).getText()).contains("Applied"));
        await().atMost(Duration.ofSeconds(10)).until(() -> script(bob, "return window.events.join(',')").toString()
                .startsWith("open,close:1008"));
    }

    private static Object script(ChromeDriver driver, String code) {
        return ((JavascriptExecutor) driver).executeScript(code);
    }

    @Test
    void twoAdminsApplyingFromTheSameRevisionGetOneSuccessAndOneConflict() throws Exception {
        ChromeDriver carol = browsers.signedInAtConsole("carol", true);
        ChromeDriver dave = browsers.signedInAtConsole("dave", true);
        ConsoleBrowsers.load(carol, browsers.console("/console/policy"));
        ConsoleBrowsers.load(dave, browsers.console("/console/policy"));
        write(carol, "users");
        write(dave, "public");

        // Both loaded revision 0. Dave applies only once Carol's apply is answered: a click returns before its
        // form reaches the server, so two clicks in a row could arrive in either order.
        carol.findElement(By.id("policy-apply")).click();
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() ->
                assertThat(carol.findElement(By.cssSelector("[role=status]")).getText()).contains("Applied"));
        dave.findElement(By.id("policy-apply")).click();

        String revision = carol.findElement(By.id("policy-revision")).getText();
        assertThat(ConsoleBrowsers.present(dave, By.cssSelector("[role=alert]")).getText())
                .contains("Someone else changed the policy since you loaded revision 0")
                .contains("it is now revision " + revision);
        assertThat(dave.findElement(By.id("policy-text")).getAttribute("value")).contains("maxLevel: public"); // kept
        ConsoleBrowsers.screenshot(dave, "policy-conflict");

        ConsoleBrowsers.load(dave, browsers.console("/console/policy"));
        assertThat(dave.findElement(By.id("policy-text")).getAttribute("value")).contains("maxLevel: users");
    }
}
