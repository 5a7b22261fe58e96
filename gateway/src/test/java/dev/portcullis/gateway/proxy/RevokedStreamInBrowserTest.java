package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.testing.BrowserGateway;
import dev.portcullis.gateway.testing.TransportSockets;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * What a real browser sees when the gateway resets one of its HTTP/2 streams because the stream's
 * grant was revoked: bob, signed in by cookie on two ports of alice's workspace that she shares with
 * their org, has a page on each; the first page holds a long poll. When alice withdraws the first
 * port's share, the long poll's {@code fetch} rejects at once (no hang until the workspace answers),
 * the page's next {@code fetch} gets the gateway's 403 over HTTP/2, and the second port's page
 * goes on being served; and an upload the gateway refuses there is answered whole (see
 * {@link #aRefusedUploadGetsTheWholeAnswerWhateverTheBodysSize}). (Whether Chromium puts the two
 * port hosts on one connection is its choice, and it also opens and drops spare connections of its
 * own, so the test does not count them.)
 */
class RevokedStreamInBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String WORKSPACE = "wsa";

    @TempDir
    Path state;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closing : started.reversed()) {
            closing.close();
        }
    }

    @Test
    void aRevokedLongPollRejectsAndTheNextFetchIsRefusedWhileAnotherPortGoesOn() throws Exception {
        BrowserGateway gateway = started(BrowserGateway.start(state));
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
        int revoked = started(DemoWorkspaceApp.start(TransportSockets.of(Transport.NIO), loopback)).address().getPort();
        int kept = started(DemoWorkspaceApp.start(TransportSockets.of(Transport.NIO), loopback)).address().getPort();
        for (int port : new int[] {revoked, kept}) {
            gateway.access().putShare(WorkspaceId.of(WORKSPACE), PortShare.of(port, ShareLevel.ORGANIZATION));
        }
        ChromeDriver driver = started(gateway.browser(1280, 900)).driver();
        // Bob signs in on each port host with a one-time link; each sets that host's cookie.
        signIn(driver, gateway, kept);
        String keptTab = driver.getWindowHandle();
        driver.switchTo().newWindow(WindowType.TAB);
        signIn(driver, gateway, revoked);
        // The long poll is with the workspace once the gateway holds a workspace connection for it
        // (started again should Chromium drop it, see signIn).
        await("the long poll with the workspace").atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            driver.executeScript("""
                    if (window.poll === undefined || window.poll.startsWith('rejected')) {
                        window.poll = 'pending';
                        fetch('/slow?ms=60000').then(
                            answer => { window.poll = 'answered ' + answer.status; },
                            failure => { window.poll = 'rejected ' + failure.name; });
                    }""");
            return workspaceConnectionsHeld(gateway) >= 1 && "pending".equals(driver.executeScript("return window.poll;"));
        });
        assertThat(driver.executeScript("return window.poll;")).isEqualTo("pending");

        gateway.access().deleteShare(WorkspaceId.of(WORKSPACE), revoked);

        await("the long poll's fetch settles").atMost(Duration.ofSeconds(10))
                .until(() -> !"pending".equals(driver.executeScript("return window.poll;")));
        assertThat(driver.executeScript("return window.poll;")).isEqualTo("rejected TypeError");
        assertThat(fetchStatus(driver)).as("the page's next fetch").isEqualTo("403 h2");
        driver.switchTo().window(keptTab);
        assertThat(fetchStatus(driver)).as("the other port's page").isEqualTo("200 h2");
    }

    /**
     * What a real browser sees when the gateway refuses an upload over HTTP/2 before it has read the
     * body: the complete 403, then RST_STREAM NO_ERROR once more than 64 KiB of the body were dropped
     * (RFC 9113 §8.1: stop sending, without error), or no reset at all when the body had ended. The
     * page's {@code fetch} must resolve with the 403 and its body, not reject. With CANCEL after a
     * complete answer the JDK's client threw the answer away (CrossOriginRefusalTest); Chromium keeps it
     * either way (this test passed with the gateway sending CANCEL there too), so this guards what a
     * browser sees of the refusal, and the raw HTTP/2 tests guard the reset's code. bob's page is on a
     * port of alice's workspace shared with their org; the share is withdrawn, then the page POSTs
     * bodies of sizes on both sides of the gateway's 64 KiB.
     */
    @Test
    void aRefusedUploadGetsTheWholeAnswerWhateverTheBodysSize() throws Exception {
        BrowserGateway gateway = started(BrowserGateway.start(state));
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0);
        int port = started(DemoWorkspaceApp.start(TransportSockets.of(Transport.NIO), loopback)).address().getPort();
        gateway.access().putShare(WorkspaceId.of(WORKSPACE), PortShare.of(port, ShareLevel.ORGANIZATION));
        ChromeDriver driver = started(gateway.browser(1280, 900)).driver();
        signIn(driver, gateway, port);
        assertThat(await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> upload(driver, 1), answer -> !answer.startsWith("rejected")))
                .as("allowed while shared").startsWith("200 h2");

        gateway.access().deleteShare(WorkspaceId.of(WORKSPACE), port);

        for (int bytes : new int[] {1, 60 * 1024, 70 * 1024, 1024 * 1024, 8 * 1024 * 1024}) {
            for (int attempt = 0; attempt < 3; attempt++) {
                // One second try for a rejected fetch, for a network change (see signIn), the one cause
                // that is not the gateway's: a reset that browsers take as a failure rejects both.
                String answer = upload(driver, bytes);
                if (answer.startsWith("rejected")) {
                    answer = upload(driver, bytes);
                }
                assertThat(answer).as("a refused upload of %d bytes, attempt %d", bytes, attempt)
                        .matches("403 h2 read [1-9][0-9]* characters");
            }
        }
    }

    /**
     * POSTs {@code bytes} from the page to its own host: the status, the protocol and how much of the
     * answer's body it read ({@code "403 h2 read 120 characters"}), or how the fetch failed.
     */
    private static String upload(ChromeDriver driver, int bytes) {
        return String.valueOf(driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const url = '/echo?' + Math.random();
                fetch(url, {method: 'POST', body: new Uint8Array(arguments[0]), cache: 'no-store'})
                    .then(answer => answer.text().then(text => {
                        const entry = performance.getEntriesByName(new URL(url, location.href).href).pop();
                        done(answer.status + ' ' + (entry ? entry.nextHopProtocol : '?') + ' read ' + text.length
                            + ' characters');
                    }, failure => done('body rejected ' + failure.name)))
                    .catch(failure => done('rejected ' + failure.name));""", bytes));
    }

    /**
     * Opens the port host's page through a fresh one-time sign-in link. A load is repeated (with a new
     * link) when Chromium dropped it: on a host where other tests add and remove network interfaces it
     * may fail with ERR_NETWORK_CHANGED before reaching the gateway.
     */
    private static void signIn(ChromeDriver driver, BrowserGateway gateway, int port) {
        await("bob's page on port " + port).atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            driver.get(gateway.signInUrl(port, WORKSPACE, "/", "bob", "acme"));
            return DemoWorkspaceApp.PAGE_TITLE.equals(driver.getTitle());
        });
    }

    /**
     * A fetch of the page's own host: its status and the protocol it went over ({@code "403 h2"});
     * repeated while Chromium drops it (see {@link #signIn}).
     */
    private static String fetchStatus(ChromeDriver driver) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> fetchOnce(driver), status -> !status.startsWith("rejected"));
    }

    private static String fetchOnce(ChromeDriver driver) {
        return String.valueOf(driver.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const url = '/?' + Math.random();
                fetch(url, {cache: 'no-store'}).then(answer => answer.text().then(() => {
                    // The timing entry is there once the body was read.
                    const entry = performance.getEntriesByName(new URL(url, location.href).href).pop();
                    done(answer.status + ' ' + (entry ? entry.nextHopProtocol : '?'));
                })).catch(failure => done('rejected ' + failure.name));"""));
    }

    private static double workspaceConnectionsHeld(BrowserGateway gateway) throws Exception {
        return Double.parseDouble(gauge(gateway, "portcullis_workspace_connections_held"));
    }

    private static String gauge(BrowserGateway gateway, String name) throws Exception {
        return gateway.metrics().lines().filter(line -> line.startsWith(name + " "))
                .map(line -> line.substring(name.length() + 1)).findFirst().orElse("0");
    }

    private <T extends AutoCloseable> T started(T resource) {
        started.add(resource);
        return resource;
    }
}
