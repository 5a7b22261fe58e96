package dev.portcullis.compat;

import static java.util.Objects.requireNonNull;

import dev.portcullis.testkit.browser.HeadlessChromium;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * A headless Chromium (one profile: one person) that counts the WebSockets each page opens. The
 * counter is installed before any script of the page runs (DevTools' addScriptToEvaluateOnNewDocument),
 * so an app that reconnects, or reloads, shows up as a new socket or a lost marker.
 */
final class AppBrowser implements AutoCloseable {
    // A subclass, so the app's own `new WebSocket(...)` is counted and otherwise unchanged.
    private static final String COUNT_SOCKETS = """
            (() => {
              const Native = window.WebSocket;
              const sockets = [];
              window.__portcullisSockets = sockets;
              window.WebSocket = class extends Native {
                constructor(...args) { super(...args); sockets.push(this); }
              };
            })();
            """;

    private final HeadlessChromium chromium;

    private AppBrowser(HeadlessChromium chromium) {
        this.chromium = chromium;
    }

    /**
     * A browser that trusts the gateway's CA (by its key's SPKI hash), resolves every port host under
     * {@code baseDomain} to loopback, and treats {@code insecureDirectOrigins} (the apps' plain-HTTP
     * direct URLs) as secure contexts, so the direct baseline gets the same browser features as HTTPS.
     * In its own network namespace (as root) the browser reaches loopback and those origins' hosts
     * (the workspace's address) and nothing else.
     */
    static AppBrowser start(String caSpkiSha256, String baseDomain, List<String> insecureDirectOrigins) {
        HeadlessChromium.Builder builder = HeadlessChromium.builder()
                .trustingSpki(requireNonNull(caSpkiSha256, "caSpkiSha256"))
                .argument("--host-resolver-rules=MAP *." + baseDomain + " 127.0.0.1")
                .windowSize(1400, 900);
        for (String origin : insecureDirectOrigins) {
            builder.reaching(directHost(origin));
        }
        if (!insecureDirectOrigins.isEmpty()) {
            builder.argument("--unsafely-treat-insecure-origin-as-secure=" + String.join(",", insecureDirectOrigins));
        }
        HeadlessChromium chromium = builder.start();
        try {
            chromium.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", COUNT_SOCKETS));
            return new AppBrowser(chromium);
        } catch (RuntimeException e) {
            chromium.close();
            throw e;
        }
    }

    /** The IP literal of a direct origin such as {@code http://10.213.177.2:8080}; no lookup. */
    private static InetAddress directHost(String origin) {
        String host = URI.create(origin).getHost();
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("direct origin: " + origin + " (expected: an IP literal host)", e);
        }
    }

    ChromeDriver driver() {
        return chromium.driver();
    }

    Object script(String script, Object... arguments) {
        return ((JavascriptExecutor) chromium.driver()).executeScript(script, arguments);
    }

    /** Each WebSocket the page opened so far: its URL and state (0 connecting, 1 open, 2 closing, 3 closed). */
    @SuppressWarnings("unchecked")
    List<String> sockets() {
        return (List<String>) script("return (window.__portcullisSockets || []).map(s => s.readyState + ' ' + s.url);");
    }

    long openSockets() {
        return sockets().stream().filter(socket -> socket.startsWith("1 ")).count();
    }

    /** Whether Chromium shows its own network error page (the load failed before any answer, e.g. ERR_NETWORK_CHANGED). */
    boolean showsNetworkError() {
        return !chromium.driver().findElements(By.cssSelector("body.neterror")).isEmpty();
    }

    /** What the page shows, for failure messages. */
    String visibleText() {
        Object text = script("return document.body ? document.body.innerText.slice(0, 2000) : '(no body)';");
        return driver().getCurrentUrl() + "\n" + text;
    }

    /** Sets a value on the page's window: it survives anything but a reload. */
    void setMarker(String value) {
        script("window.__portcullisMarker = arguments[0];", value);
    }

    String marker() {
        return (String) script("return window.__portcullisMarker || null;");
    }

    @Override
    public void close() {
        chromium.close();
    }
}
