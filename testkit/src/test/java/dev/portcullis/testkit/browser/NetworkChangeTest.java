package dev.portcullis.testkit.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriverException;

/**
 * The failure that kept the compatibility suite from running beside the host agent's tests: a host
 * veth appears and goes away while a page load is in flight. Chromium flushes its connections in
 * progress when the host's addresses change, so a load still connecting fails with
 * ERR_NETWORK_CHANGED; Chromium in a namespace of its own does not see the change. To have the load
 * connecting when the veth comes and goes, the page's server has its accept queue full: the
 * browser's SYN (or the relay's, for the namespaced browser) goes unanswered until the test has
 * churned the veth and drained the queue, and the kernel's next SYN retry then connects.
 */
class NetworkChangeTest {
    /** The /30 of {@link BrowserNamespace#RANGE} no browser slot uses. */
    private static final String CHURN_ADDRESS = "10.217.128.253/30";
    private static final String CHURN_LINK = "pcbrchurn" + ProcessHandle.current().pid() % 100_000;
    private static final byte[] PAGE = "<!doctype html><title>survived</title><p>answered after a host veth came and went</p>"
            .getBytes(StandardCharsets.UTF_8);

    private ServerSocket server;
    private final List<Socket> queueFillers = new ArrayList<>();
    private final AtomicInteger churned = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        HeadlessChromium.assumeAvailable();
        assumeTrue(HeadlessChromium.hostNetworkReason().isEmpty(),
                () -> "browsers run on the host's network here: " + HeadlessChromium.hostNetworkReason().orElseThrow());
        String inUse = BrowserNamespace.dump("-4", "-o", "addr", "show", "to", "10.217.128.252/30");
        assumeTrue(inUse.isBlank(), () -> "10.217.128.252/30 is in use on this host: " + inUse);
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        // Connections the kernel completes but nobody accepts, until one no longer completes: the queue is full.
        while (true) {
            Socket filler = new Socket();
            try {
                filler.connect(server.getLocalSocketAddress(), 300);
                queueFillers.add(filler);
            } catch (SocketTimeoutException e) {
                filler.close();
                break;
            }
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket filler : queueFillers) {
            filler.close();
        }
        if (server != null) {
            server.close();
        }
        run("ip", "link", "del", CHURN_LINK); // only if a failed churn left it
    }

    @Test
    void aPageLoadInTheNamespacedBrowserSurvivesAHostVethComingAndGoing() throws Exception {
        try (HeadlessChromium browser = HeadlessChromium.start()) {
            assertThat(browser.inOwnNetworkNamespace()).isTrue();

            String shown = loadWhileAHostVethComesAndGoes(browser);

            assertThat(churned).as("host veths added and removed during the load").hasValue(1);
            assertThat(shown).isEqualTo("survived");
        }
    }

    @Test
    void theSameLoadInABrowserOnTheHostsNetworkIsDropped() throws Exception {
        try (HeadlessChromium browser = HeadlessChromium.builder().onHostNetwork().start()) {
            assertThat(browser.inOwnNetworkNamespace()).isFalse();

            String shown = loadWhileAHostVethComesAndGoes(browser);

            assertThat(churned).as("host veths added and removed during the load").hasValue(1);
            assertThat(shown).as("what the host browser showed").contains("ERR_NETWORK_CHANGED");
        }
    }

    /** The page's title, or what Chromium showed instead (its error page's source, or chromedriver's error). */
    private String loadWhileAHostVethComesAndGoes(HeadlessChromium browser) throws Exception {
        String url = "http://127.0.0.1:" + server.getLocalPort() + "/slow";
        CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> {
            try {
                browser.driver().get(url);
                return browser.driver().findElements(By.cssSelector("body.neterror")).isEmpty()
                        ? browser.driver().getTitle() : browser.driver().getPageSource();
            } catch (WebDriverException e) {
                return e.getMessage(); // chromedriver reports some failed navigations as an error
            }
        });
        // Time passing is the point: the browser (or its relay) has sent its SYN into the full queue.
        Thread.sleep(1_500);
        churnAHostVeth();
        for (Socket filler : queueFillers) {
            filler.close();
        }
        queueFillers.clear();
        Thread serving = Thread.ofVirtual().start(this::serveUntilClosed);
        try {
            return load.get(60, TimeUnit.SECONDS);
        } finally {
            server.close();
            serving.join();
        }
    }

    /** Accepts (first draining the fillers' closed connections) and answers every request with the page. */
    private void serveUntilClosed() {
        while (!server.isClosed()) {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(5_000);
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) != -1) {
                    head.write(b);
                    if (head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                        break;
                    }
                }
                if (b == -1) {
                    continue; // a filler
                }
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " + PAGE.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(PAGE);
                out.flush();
            } catch (IOException e) {
                // closed, or a connection that went away: next
            }
        }
    }

    /** A veth pair on the host, up with an address, then gone: what a workspace's start and stop do to the host. */
    private void churnAHostVeth() {
        runOrThrow("ip", "link", "add", CHURN_LINK, "type", "veth", "peer", "name", CHURN_LINK + "p");
        try {
            runOrThrow("ip", "addr", "add", CHURN_ADDRESS, "dev", CHURN_LINK);
            runOrThrow("ip", "link", "set", CHURN_LINK, "up");
            runOrThrow("ip", "link", "set", CHURN_LINK + "p", "up");
            // Time passing is the point: Chromium learns of the change from netlink on its own thread.
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            runOrThrow("ip", "link", "del", CHURN_LINK);
        }
        churned.incrementAndGet();
    }

    private static void runOrThrow(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command), e);
        }
    }

    private static String run(String... command) {
        try {
            Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return output;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
