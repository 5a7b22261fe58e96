package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * Explain with a pasted bearer token, in real browsers: the admin API verifies the token as the
 * gateway does on a request and explains for its person. An admin explains for a person of their org
 * at any workspace of it, an owner only at their own ports, and a token of another org is refused
 * with the reason. alice owns {@code demo} (shared with acme), dave owns {@code other}; bob is in acme,
 * erin in globex.
 */
class ConsoleExplainTokenTest {
    private static final String OTHER = "other";

    @TempDir
    Path state;

    private ConsoleBrowsers browsers;
    private GatewayFixture gateway;

    @BeforeEach
    void start() throws Exception {
        browsers = ConsoleBrowsers.startWithWorkspaces(state,
                ConsoleBrowsers.workspace(OTHER, "dave", GatewayFixture.ORG));
        gateway = browsers.gateway();
        gateway.server().accessState().orElseThrow().putShare(WorkspaceId.of(GatewayFixture.WORKSPACE),
                new PortShare(gateway.workspacePort(), ShareLevel.ORGANIZATION, Set.of(), Set.of(), null, Set.of()));
    }

    @AfterEach
    void stop() {
        if (browsers != null) {
            browsers.close();
        }
    }

    /** Asks the console's explain page about {@code token}'s person at {@code workspace}'s port. */
    private void explainWithToken(ChromeDriver driver, String token, String workspace) {
        ConsoleBrowsers.load(driver, browsers.console("/console/explain"));
        driver.findElement(By.id("explain-user")).clear();
        WebElement field = driver.findElement(By.id("explain-token"));
        field.sendKeys(token);
        driver.findElement(By.id("explain-url")).sendKeys(gateway.url(gateway.workspacePort(), workspace, "/").toString());
        WebElement submit = driver.findElement(By.id("explain-submit"));
        submit.click();
        // The form posts: the answer is a new page, and the old one (with its own answer or alert) must be gone first.
        ConsoleBrowsers.awaitReplaced(driver, submit);
        ConsoleBrowsers.present(driver, By.id("explain-submit"));
    }

    @Test
    void anAdminExplainsForATokenOfSomeoneInTheirOrg() throws Exception {
        ChromeDriver carol = browsers.signedInAtConsole("carol", true);

        explainWithToken(carol, browsers.tokenOf("bob", GatewayFixture.ORG), GatewayFixture.WORKSPACE);

        assertThat(carol.findElement(By.cssSelector("#explain-answer h2")).getText()).startsWith("Allowed: bob@");
        assertThat(carol.findElement(By.id("explain-reasons")).getText()).contains("the owner shared the port at level org");
        assertThat(carol.findElement(By.id("explain-token")).getText()).isEmpty(); // never shown again
        ConsoleBrowsers.screenshot(carol, "explain-token");

        explainWithToken(carol, browsers.tokenOf("bob", GatewayFixture.ORG), OTHER); // dave's: any workspace of acme
        assertThat(carol.findElement(By.cssSelector("#explain-answer h2")).getText()).startsWith("Denied: bob@");
    }

    @Test
    void anOwnerExplainsForATokenOnlyAtTheirOwnPorts() {
        ChromeDriver alice = browsers.signedInAtConsole(GatewayFixture.OWNER, false);

        explainWithToken(alice, browsers.tokenOf("bob", GatewayFixture.ORG), GatewayFixture.WORKSPACE);
        assertThat(alice.findElement(By.cssSelector("#explain-answer h2")).getText()).startsWith("Allowed: bob@");

        explainWithToken(alice, browsers.tokenOf("bob", GatewayFixture.ORG), OTHER);
        assertThat(alice.findElements(By.id("explain-answer"))).isEmpty();
        assertThat(alice.findElement(By.cssSelector("[role=alert]")).getText()).contains(OTHER);
    }

    @Test
    void aTokenOfAnotherOrgIsRefusedWithTheReason() {
        ChromeDriver carol = browsers.signedInAtConsole("carol", true);

        explainWithToken(carol, browsers.tokenOf("erin", "globex"), GatewayFixture.WORKSPACE);

        assertThat(carol.findElements(By.id("explain-answer"))).isEmpty();
        assertThat(carol.findElement(By.cssSelector("[role=alert]")).getText())
                .contains("it is erin@").contains("of org 'globex'").contains("expected: a person of your org 'acme'");

        explainWithToken(carol, "not.a.token", GatewayFixture.WORKSPACE);
        assertThat(carol.findElement(By.cssSelector("[role=alert]")).getText()).contains("token:").contains("reason:");
    }
}
