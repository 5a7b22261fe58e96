package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
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
 * The console in real browsers (Debian's Chromium, headless), each person in their own browser,
 * signed in through the real OpenID Connect flow against mock-oauth2-server. The org's maximum
 * share level is {@code organization} (the gateway's default policy), so the menu must not offer
 * {@code authenticated} or {@code public}. Screenshots go to {@code target/screenshots/console-*.png}.
 */
class ConsoleBrowserTest {
    private static final String LAB = "lab";
    private static final int LAB_LISTENING = 5173;

    @TempDir
    Path state;

    private ConsoleBrowsers browsers;
    private GatewayFixture gateway;

    @BeforeEach
    void start() throws Exception {
        browsers = ConsoleBrowsers.startWithWorkspaces(state,
                // a second workspace of alice's whose host agent reported what listens in it
                ConsoleBrowsers.workspace(LAB, GatewayFixture.OWNER, GatewayFixture.ORG)
                        .withListeningPorts(Set.of(LAB_LISTENING)));
        gateway = browsers.gateway();
    }

    @AfterEach
    void stop() {
        if (browsers != null) {
            browsers.close();
        }
    }

    private ChromeDriver signedInAtConsole(String user, boolean admin) {
        return browsers.signedInAtConsole(user, admin);
    }

    private String console(String path) {
        return browsers.console(path);
    }

    private static void load(ChromeDriver driver, String url) {
        ConsoleBrowsers.load(driver, url);
    }

    private static void screenshot(ChromeDriver driver, String name) throws Exception {
        ConsoleBrowsers.screenshot(driver, name);
    }

    private String portId() {
        return GatewayFixture.WORKSPACE + "-" + gateway.workspacePort();
    }

    private static Object script(ChromeDriver driver, String code) {
        return ((JavascriptExecutor) driver).executeScript(code);
    }

    /** Shares the workspace's port with the org in the owner's console, as a person would. */
    private void shareWithOrg(ChromeDriver owner) {
        owner.findElement(By.cssSelector("#ws-" + GatewayFixture.WORKSPACE + " ~ details summary")).click();
        owner.findElement(By.id("port-" + GatewayFixture.WORKSPACE + "-new")).sendKeys(Integer.toString(gateway.workspacePort()));
        new Select(owner.findElement(By.id("level-" + GatewayFixture.WORKSPACE + "-new"))).selectByValue("organization");
        owner.findElement(By.id("save-" + GatewayFixture.WORKSPACE + "-new")).click();
        assertThat(ConsoleBrowsers.present(owner, By.id("effective-" + portId())).getText()).isEqualTo("organization");
    }

    private PortShare currentShare() {
        return gateway.server().accessState().orElseThrow().current().sharesOf(GatewayFixture.WORKSPACE)
                .forPort(gateway.workspacePort());
    }

    @Test
    void theConsoleNeedsASignInAndKeepsItsCookieOnTheLoginHost() throws Exception {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);

        assertThat(alice.findElement(By.tagName("h1")).getText()).isEqualTo("My workspaces and ports");
        var cookie = alice.manage().getCookieNamed(SignIn.SESSION_COOKIE);
        assertThat(cookie.getDomain()).isEqualTo("login." + GatewayFixture.BASE_DOMAIN); // host-only
        assertThat(cookie.isHttpOnly()).isTrue();
        assertThat(cookie.isSecure()).isTrue();
        // the style sheet applied: the CSP let the console's own file in, and nothing inline
        assertThat(script(alice, "return getComputedStyle(document.querySelector('header')).borderBottomStyle")).isEqualTo("solid");
        screenshot(alice, "ports-empty");
    }

    @Test
    void aDiscoveredPortShowsWithItsUrlBeforeAnyShare() {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);

        String id = LAB + "-" + LAB_LISTENING;
        WebElement card = alice.findElement(By.id("port-" + id));
        String url = "https://" + LAB_LISTENING + "-" + LAB + "." + GatewayFixture.BASE_DOMAIN + ":" + gateway.gatewayPort() + "/";
        assertThat(card.findElement(By.tagName("a")).getAttribute("href")).isEqualTo(url);
        assertThat(alice.findElement(By.id("serving-" + id)).getText()).isEqualTo("listening");
        assertThat(alice.findElement(By.id("effective-" + id)).getText()).isEqualTo("owner");
        assertThat(alice.findElement(By.id("why-" + id)).getText()).contains("not shared");
        // the fixture's workspace has no report from a host agent: its port shows once shared, unreported
        assertThat(alice.findElements(By.id("port-" + portId()))).isEmpty();
        shareWithOrg(alice);
        assertThat(alice.findElement(By.id("serving-" + portId())).getText()).isEqualTo("not reported");
    }

    @Test
    void anOwnerSharesAPortWithTheOrgAndATeammatesBrowserGetsIn() throws Exception {
        ChromeDriver bob = browsers.newBrowser();
        browsers.nextLoginIs("bob", false);
        load(bob, gateway.url("/").toString());
        assertThat(bob.getPageSource()).doesNotContain(DemoWorkspaceApp.PAGE_TITLE).contains("have access");

        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        shareWithOrg(alice);
        screenshot(alice, "ports-shared");

        assertThat(currentShare().level()).isEqualTo(ShareLevel.ORGANIZATION);
        load(bob, gateway.url("/").toString());
        assertThat(bob.getPageSource()).contains(DemoWorkspaceApp.PAGE_TITLE);
    }

    @Test
    void revokingTheShareClosesTheTeammatesOpenWebSocket() {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        shareWithOrg(alice);
        ChromeDriver bob = browsers.newBrowser();
        browsers.nextLoginIs("bob", false);
        load(bob, gateway.url("/").toString());
        script(bob, """
                window.events = [];
                const socket = new WebSocket('wss://' + location.host + '/echo');
                socket.onopen = () => window.events.push('open');
                socket.onclose = e => window.events.push('close:' + e.code + ':' + e.reason);
                """);
        await().atMost(Duration.ofSeconds(10)).until(() -> script(bob, "return window.events.join(',')").toString().contains("open"));

        ConsoleBrowsers.clickable(alice, By.id("revoke-" + portId())).click();

        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> // the notice of the new page
                assertThat(alice.findElement(By.cssSelector("[role=status]")).getText()).contains("revoked"));
        assertThat(currentShare()).isNull();
        await().atMost(Duration.ofSeconds(5)).until(() -> script(bob, "return window.events.join(',')").toString()
                .contains("close:1008:access-withdrawn"));
    }

    @Test
    void theMenuOffersNoLevelAboveTheOrgMaximumAndSaysWhy() throws Exception {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        shareWithOrg(alice);

        Select menu = new Select(alice.findElement(By.id("level-" + portId())));
        assertThat(menu.getOptions()).extracting(option -> option.getAttribute("value"))
                .containsExactly("owner", "users", "organization");
        assertThat(alice.findElement(By.id("level-" + portId() + "-cap")).getText())
                .contains("authenticated, public").contains("the org maximum (sharing.maxLevel) is organization");

        // A form that sends a level past the maximum anyway (as a crafted post would) is refused with the reason.
        script(alice, "const o = document.createElement('option'); o.value = 'public'; o.text = 'public';"
                      + "document.getElementById('level-" + portId() + "').add(o); o.selected = true;");
        alice.findElement(By.id("save-" + portId())).click();
        assertThat(ConsoleBrowsers.present(alice, By.cssSelector("[role=alert]")).getText())
                .contains("level public is not allowed on port " + gateway.workspacePort())
                .contains("the org maximum (sharing.maxLevel) is organization");
        assertThat(currentShare().level()).isEqualTo(ShareLevel.ORGANIZATION);
        screenshot(alice, "menu-capped");
    }

    @Test
    void explainSaysTheDecisionAndEveryReasonInWords() throws Exception {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        shareWithOrg(alice);
        load(alice, console("/console/explain"));
        WebElement user = alice.findElement(By.id("explain-user"));
        user.clear();
        user.sendKeys("mallory");
        WebElement org = alice.findElement(By.id("explain-org"));
        org.clear();
        org.sendKeys("evilcorp");
        alice.findElement(By.id("explain-url")).sendKeys(gateway.url("/admin").toString());
        alice.findElement(By.id("explain-submit")).click();

        assertThat(ConsoleBrowsers.present(alice, By.cssSelector("#explain-answer h2")).getText()).startsWith("Denied: mallory");
        assertThat(alice.findElement(By.id("explain-reasons")).getText())
                .contains("the owner shared the port at level org")
                .contains("the caller is not in the workspace's organization");
        screenshot(alice, "explain");
    }

    @Test
    void aNonAdminCannotReachThePolicyPageOrItsApi() {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        assertThat(alice.findElements(By.linkText("Org policy"))).isEmpty();

        load(alice, console("/console/policy"));
        assertThat(alice.findElement(By.tagName("h1")).getText()).isEqualTo("Not for you");
        load(alice, console("/"));
        String token = alice.findElement(By.name("csrf")).getAttribute("value");
        Object status = script(alice, "return fetch('/console/api/policy/validate', {method: 'POST', headers:"
                + " {'Content-Type': 'application/json', 'X-CSRF-Token': '" + token + "'}, body: '{\"text\": \"x\"}'})"
                + ".then(r => r.status)");
        assertThat(status).isEqualTo(403L);
        Object page = script(alice, "return fetch('/console/policy').then(r => r.status)");
        assertThat(page).isEqualTo(403L);
    }

    @Test
    void anAdminSeesThePolicyErrorsLineAsTheyTypeAndADryRunListsTheShareItWouldNarrow() throws Exception {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        shareWithOrg(alice);
        ChromeDriver carol = signedInAtConsole("carol", true);
        load(carol, console("/console/policy"));
        WebElement editor = carol.findElement(By.id("policy-text"));
        editor.clear();
        editor.sendKeys("apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: wide\n");

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(carol.findElement(By.id("policy-check"))
                .getText()).contains("Line 5"));
        assertThat(carol.findElement(By.id("policy-check")).getText()).contains("sharing.maxLevel").contains("wide");
        screenshot(carol, "policy-error");

        editor.clear();
        editor.sendKeys("apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing:\n  maxLevel: users\n");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(carol.findElement(By.id("policy-check"))
                .getText()).contains("No errors"));
        carol.findElement(By.id("policy-dry-run")).click();

        String narrowed = ConsoleBrowsers.present(carol, By.id("dry-run-shares")).getText();
        assertThat(narrowed).contains(GatewayFixture.WORKSPACE + ":" + gateway.workspacePort())
                .contains("organization users");
        assertThat(gateway.server().accessState().orElseThrow().policyText(GatewayFixture.ORG)).isEmpty(); // nothing applied
        screenshot(carol, "policy-dry-run");
    }

    @Test
    void aFormPostedFromAWorkspacePageIsRefusedEvenWithTheRightToken() {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        shareWithOrg(alice);
        String token = alice.findElement(By.name("csrf")).getAttribute("value");
        load(alice, gateway.url("/").toString()); // the workspace page, signed in with the same session
        assertThat(alice.getPageSource()).contains(DemoWorkspaceApp.PAGE_TITLE);

        script(alice, "const f = document.createElement('form'); f.method = 'POST'; f.action = '" + console("/console/revoke")
                + "'; for (const [k, v] of Object.entries({workspace: '" + GatewayFixture.WORKSPACE + "', port: '"
                + gateway.workspacePort() + "', csrf: '" + token + "'})) { const i = document.createElement('input');"
                + " i.name = k; i.value = v; f.appendChild(i); } document.body.appendChild(f); f.submit();");

        await().atMost(Duration.ofSeconds(10)).until(() -> alice.getCurrentUrl().startsWith(console("/console/revoke")));
        assertThat(alice.getPageSource()).contains("csrf-refused").contains("not from the console");
        assertThat(currentShare().level()).isEqualTo(ShareLevel.ORGANIZATION);
    }

    @Test
    void aPostWithoutTheSessionsTokenIsRefused() {
        ChromeDriver alice = signedInAtConsole(GatewayFixture.OWNER, false);
        gateway.server().accessState().orElseThrow().putShare(WorkspaceId.of(GatewayFixture.WORKSPACE),
                new PortShare(gateway.workspacePort(), ShareLevel.ORGANIZATION, Set.of(), Set.of(), null, Set.of()));
        Object status = script(alice, "return fetch('/console/revoke', {method: 'POST', body: new URLSearchParams({workspace: '"
                + GatewayFixture.WORKSPACE + "', port: '" + gateway.workspacePort() + "', csrf: 'guessed'})}).then(r => r.status)");
        assertThat(status).isEqualTo(403L);
        assertThat(currentShare()).isNotNull();
    }
}
