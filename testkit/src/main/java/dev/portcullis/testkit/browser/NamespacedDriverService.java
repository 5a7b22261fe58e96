package dev.portcullis.testkit.browser;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.net.UrlChecker;
import org.openqa.selenium.os.ExternalProcess;

/**
 * chromedriver started inside a {@link BrowserNamespace} ({@code ip netns exec}), so the Chromium it
 * starts is inside too; Selenium reaches it on the namespace's end of the veth, which chromedriver
 * accepts connections on from the host end only ({@code --allowed-ips}). Selenium's own service
 * would start the driver on the host and look for it on {@code localhost}; this one changes only
 * where it starts and where it is found, and keeps Selenium's process handling ({@link ExternalProcess}).
 */
final class NamespacedDriverService extends ChromeDriverService {
    /** Any port: the namespace is the driver's own. */
    private static final int PORT = 9515;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final BrowserNamespace namespace;
    private final URL url;

    NamespacedDriverService(BrowserNamespace namespace) throws IOException {
        super(HeadlessChromium.CHROMEDRIVER.toFile(), PORT, START_TIMEOUT, List.of(), Map.of());
        this.namespace = requireNonNull(namespace, "namespace");
        this.url = URI.create("http://" + namespace.insideAddress().getHostAddress() + ":" + PORT).toURL();
    }

    @Override
    public URL getUrl() {
        return url;
    }

    @Override
    public synchronized void start() {
        if (process != null) {
            return;
        }
        process = ExternalProcess.builder()
                .command(namespace.inside(List.of(HeadlessChromium.CHROMEDRIVER.toString(), "--port=" + PORT,
                        "--allowed-ips=" + namespace.hostAddress().getHostAddress())))
                .copyOutputTo(OutputStream.nullOutputStream())
                .start();
        try {
            new UrlChecker().waitUntilAvailable(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS, statusUrl());
        } catch (UrlChecker.TimeoutException e) {
            stop();
            throw new WebDriverException("chromedriver in namespace " + namespace.name() + " did not answer at " + url
                    + " within " + START_TIMEOUT, e);
        }
    }

    private URL statusUrl() {
        try {
            return URI.create(url + "/status").toURL();
        } catch (MalformedURLException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized void stop() {
        if (process != null) {
            process.shutdown();
            process = null;
        }
    }
}
