package dev.portcullis.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.testing.GatewayFixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The console's audit page in real browsers: lines stream in live (server-sent events through the
 * gateway itself, read by the console's own script under its CSP), an owner sees only their
 * workspaces' lines and an admin only their org's, and the stream refuses callers without a session
 * and requests from another site or origin. Besides alice's {@code demo} (acme), dave owns
 * {@code other} in acme and erin owns {@code elsewhere} in globex.
 */
@Timeout(180)
class ConsoleAuditTest {
    private static final String OTHER = "other";
    private static final String ELSEWHERE = "elsewhere";

    @TempDir
    Path state;

    private ConsoleBrowsers browsers;
    private GatewayFixture gateway;

    @BeforeEach
    void start() throws Exception {
        browsers = ConsoleBrowsers.startWithWorkspaces(state,
                ConsoleBrowsers.workspace(OTHER, "dave", GatewayFixture.ORG),
                ConsoleBrowsers.workspace(ELSEWHERE, "erin", "globex"));
        gateway = browsers.gateway();
    }

    @AfterEach
    void stop() {
        if (browsers != null) {
            browsers.close();
        }
    }

    /** An anonymous request to {@code workspace}'s port: a denial, one audit line about that workspace. */
    private void anonymousRequestTo(String workspace) throws Exception {
        HttpResponse<String> answer = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url(gateway.workspacePort(),
                workspace, "/")).header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(401);
    }

    private static void awaitStreamOpen(ChromeDriver driver) {
        await().atMost(Duration.ofSeconds(15)).until(() -> "open".equals(
                driver.findElement(By.id("audit-live")).getDomAttribute("data-state")));
    }

    @Test
    void aShareChangeAppearsLiveOnTheOwnersAuditPage() throws Exception {
        ChromeDriver alice = browsers.signedInAtConsole(GatewayFixture.OWNER, false);
        ConsoleBrowsers.load(alice, browsers.console("/console/audit"));
        awaitStreamOpen(alice);
        String auditTab = alice.getWindowHandle();
        assertThat(alice.findElement(By.id("audit-lines")).getText()).doesNotContain("event=change");

        alice.switchTo().newWindow(WindowType.TAB); // the same person shares a port in another tab
        ConsoleBrowsers.load(alice, browsers.console("/"));
        alice.findElement(By.cssSelector("#ws-" + GatewayFixture.WORKSPACE + " ~ details summary")).click();
        alice.findElement(By.id("port-" + GatewayFixture.WORKSPACE + "-new")).sendKeys(Integer.toString(gateway.workspacePort()));
        new Select(alice.findElement(By.id("level-" + GatewayFixture.WORKSPACE + "-new"))).selectByValue("organization");
        alice.findElement(By.id("save-" + GatewayFixture.WORKSPACE + "-new")).click();
        alice.switchTo().window(auditTab);

        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> assertThat(alice.findElement(By.cssSelector(
                "#audit-lines li.new")).getText()).contains("event=change")
                .contains("PUT /api/v1/shares/" + GatewayFixture.WORKSPACE + "/" + gateway.workspacePort())
                .contains("principal=alice@"));
        ConsoleBrowsers.screenshot(alice, "audit-live");
    }

    @Test
    void anOwnerSeesOnlyTheirWorkspacesLinesAndAnAdminOnlyTheirOrgs() throws Exception {
        anonymousRequestTo(GatewayFixture.WORKSPACE);
        anonymousRequestTo(OTHER);
        anonymousRequestTo(ELSEWHERE);

        ChromeDriver alice = browsers.signedInAtConsole(GatewayFixture.OWNER, false);
        ConsoleBrowsers.load(alice, browsers.console("/console/audit"));
        String seenByAlice = alice.findElement(By.id("audit-lines")).getText();
        assertThat(seenByAlice).contains("workspace=" + GatewayFixture.WORKSPACE)
                .doesNotContain("workspace=" + OTHER).doesNotContain("workspace=" + ELSEWHERE);
        // live too: a new line of dave's workspace never reaches alice's stream, one of hers does
        awaitStreamOpen(alice);
        anonymousRequestTo(OTHER);
        anonymousRequestTo(GatewayFixture.WORKSPACE);
        await().atMost(Duration.ofSeconds(10)).until(() -> !alice.findElements(By.cssSelector("#audit-lines li.new")).isEmpty());
        assertThat(alice.findElement(By.id("audit-lines")).getText()).doesNotContain("workspace=" + OTHER);

        ChromeDriver carol = browsers.signedInAtConsole("carol", true);
        ConsoleBrowsers.load(carol, browsers.console("/console/audit"));
        String seenByCarol = carol.findElement(By.id("audit-lines")).getText();
        assertThat(seenByCarol).contains("workspace=" + GatewayFixture.WORKSPACE).contains("workspace=" + OTHER)
                .doesNotContain("workspace=" + ELSEWHERE);

        ConsoleBrowsers.load(carol, browsers.console("/console/audit?workspace=" + OTHER));
        assertThat(carol.findElement(By.id("audit-lines")).getText()).contains("workspace=" + OTHER)
                .doesNotContain("workspace=" + GatewayFixture.WORKSPACE + " ");
    }

    @Test
    void theStreamRefusesACallerWithoutASessionAndARequestFromAnotherSiteOrOrigin() throws Exception {
        ChromeDriver alice = browsers.signedInAtConsole(GatewayFixture.OWNER, false);
        String cookie = SignIn.SESSION_COOKIE + "=" + alice.manage().getCookieNamed(SignIn.SESSION_COOKIE).getValue();
        URI events = URI.create(browsers.console(Console.EVENTS));

        HttpResponse<String> anonymous = gateway.httpClient().send(HttpRequest.newBuilder(events).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("unauthenticated");

        HttpResponse<String> sameSite = gateway.httpClient().send(HttpRequest.newBuilder(events).header("Cookie", cookie)
                .header("Sec-Fetch-Site", "same-site").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sameSite.statusCode()).isEqualTo(403);
        assertThat(sameSite.body()).contains("cross-site-refused");

        // what Chromium sends from a workspace page, which is same-site with the login host
        String workspaceOrigin = "https://" + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":"
                + gateway.gatewayPort();
        HttpResponse<String> otherOrigin = gateway.httpClient().send(HttpRequest.newBuilder(events).header("Cookie", cookie)
                .header("Origin", workspaceOrigin).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(otherOrigin.statusCode()).isEqualTo(403);
        assertThat(otherOrigin.body()).contains(workspaceOrigin);

        // the same cookie from the console's own origin gets the stream
        anonymousRequestTo(GatewayFixture.WORKSPACE);
        HttpResponse<Stream<String>> own = gateway.httpClient().send(HttpRequest.newBuilder(events).header("Cookie", cookie)
                .header("Sec-Fetch-Site", "same-origin").build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        List<String> read = new CopyOnWriteArrayList<>();
        try (Stream<String> lines = own.body()) {
            CompletableFuture.runAsync(() -> lines.forEach(read::add)); // until the stream is closed below
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(read).anyMatch(line ->
                    line.startsWith("data:") && line.contains("workspace=" + GatewayFixture.WORKSPACE)));
        }
    }
}
