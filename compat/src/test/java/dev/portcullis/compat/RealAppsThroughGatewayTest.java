package dev.portcullis.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.server.GatewayServer;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.gateway.tls.PemFiles;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * code-server, JupyterLab and a Vite dev server, each with its defaults, in one workspace network
 * namespace built by the host agent's library, opened through a real gateway in headless Chromium by
 * a user signed in as users are (the one-time {@code ?access_token=} URL that sets the gateway's
 * cookie). Each app is checked doing what its users do, its time to usable is measured directly and
 * through the gateway side by side, and then all three stay open together, WebSockets connected, with
 * no reconnect and no reload for {@value #HOLD_PROPERTY} (default 5 minutes; CI uses the default).
 * See docs/compatibility.md. Build and run it as root under {@code flock /tmp/portcullis-netns.lock}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealAppsThroughGatewayTest {
    static final String HOLD_PROPERTY = "portcullis.compat.hold";
    static final String ROUNDS_PROPERTY = "portcullis.compat.rounds";
    private static final String BASE_DOMAIN = "ws.localhost";
    private static final String WORKSPACE = "compat";
    private static final String OWNER = "alice";
    private static final String ORG = "acme";
    private static final Duration USABLE_TIMEOUT = Duration.ofSeconds(90);

    private final Duration hold = Duration.parse(System.getProperty(HOLD_PROPERTY, "PT5M"));
    private final int rounds = Integer.getInteger(ROUNDS_PROPERTY, 3);

    @TempDir
    static Path temp;

    private CompatWorkspace workspace;
    private GatewayServer gateway;
    private DevelopmentIssuer issuer;
    private String caSpki;
    private final Map<String, AppProcess> apps = new LinkedHashMap<>();
    private final Map<String, TimeToUsable> times = new LinkedHashMap<>();
    /** The browser each app's check left open, held for the stay-connected check. */
    private final Map<String, AppBrowser> held = new LinkedHashMap<>();
    private Path viteProject;

    @BeforeAll
    void startWorkspaceAppsAndGateway() throws Exception {
        HeadlessChromium.assumeAvailable();
        InstalledApps installed = InstalledApps.inCache();
        installed.requireInstalled();
        workspace = CompatWorkspace.create(temp.resolve("agent"), WORKSPACE, OWNER, ORG);
        Path logs = Files.createDirectories(temp.resolve("logs"));
        apps.put("code-server", CodeServer.start(installed, workspace, temp.resolve("code-server"), logs));
        apps.put("jupyterlab", JupyterLab.start(installed, workspace, temp.resolve("jupyterlab"), logs));
        apps.put("vite", ViteDevServer.start(installed, workspace, temp.resolve("vite"), logs));
        viteProject = temp.resolve("vite/project");

        DemoCertificateAuthority ca = new DemoCertificateAuthority(temp.resolve("tls"));
        ca.ensureServerCertificate(BASE_DOMAIN);
        caSpki = HeadlessChromium.spkiSha256(PemFiles.readCertificates(ca.caCertificate()).get(0));
        issuer = DevelopmentIssuer.loadOrCreate(temp.resolve("issuer"));
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        gateway = GatewayServer.start(GatewayConfig.builder()
                .listen(new InetSocketAddress(loopback, 0))
                .adminListen(new InetSocketAddress(loopback, 0))
                .baseDomain(BASE_DOMAIN)
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(ca.serverCertificateChain(), ca.serverKey())))
                .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())
                // Routes are used only inside the workspace network's range (docs/configuration.md).
                .workspaceAddressRanges(List.of(AddressRange.parse(CompatWorkspace.RANGE.toString())))
                .routeFile(workspace.routeFile())
                .build());
    }

    @AfterAll
    void stopEverything() {
        held.values().forEach(AppBrowser::close);
        if (gateway != null) {
            gateway.close();
        }
        if (workspace != null) {
            workspace.close();
        }
        if (!times.isEmpty()) {
            System.out.println("Time to usable, direct vs through the gateway (" + rounds + " rounds, cold browser each):");
            times.values().forEach(time -> System.out.println("  " + time.line()));
        }
    }

    @Test
    @Order(1)
    void codeServerWorkbenchExplorerEditorAndTerminalWorkThroughTheGateway() {
        AppBrowser browser = measureThenOpen("code-server", CodeServer.PORT, "/", CodeServer::usable);

        assertThat(CodeServer.openFileFromExplorer(browser)).contains(CodeServer.FILE_TEXT);
        CodeServer.runInNewTerminal(browser, "echo portcullis-$((6*7))", "portcullis-42");
        assertThat(CodeServer.terminalText(browser)).contains("portcullis-42");
        assertThat(browser.openSockets()).as("code-server's WebSockets: %s", browser.sockets()).isPositive();
    }

    @Test
    @Order(2)
    void jupyterLabRunsACellOnItsKernelThroughTheGateway() {
        AppBrowser browser = measureThenOpen("jupyterlab", JupyterLab.PORT, JupyterLab.PATH, JupyterLab::usable);

        assertThat(JupyterLab.runCell(browser)).isEqualTo("2");
        assertThat(browser.sockets()).as("the kernel's WebSocket").anyMatch(socket -> socket.startsWith("1 ")
                && socket.contains("/api/kernels/"));
    }

    @Test
    @Order(3)
    void viteUpdatesThePageOverHmrWithoutAReloadThroughTheGateway() throws IOException {
        AppBrowser browser = measureThenOpen("vite", ViteDevServer.PORT, "/", ViteDevServer::usable);
        browser.setMarker("before the edit");

        ViteDevServer.writeMessage(viteProject, "edited in the workspace");

        await("the page to show the edit").atMost(Duration.ofSeconds(30))
                .until(() -> "edited in the workspace".equals(ViteDevServer.shown(browser)));
        assertThat(browser.marker()).as("the page was updated in place, not reloaded").isEqualTo("before the edit");
    }

    @Test
    @Order(4)
    void allThreeStayConnectedWithoutReconnectOrReload() {
        assertThat(held.keySet()).as("apps whose check passed and whose page is held open")
                .containsExactly("code-server", "jupyterlab", "vite");
        Map<String, List<String>> before = new LinkedHashMap<>();
        held.forEach((app, browser) -> {
            browser.setMarker("held");
            before.put(app, browser.sockets());
            assertThat(browser.openSockets()).as("%s's open WebSockets at the start: %s", app, browser.sockets()).isPositive();
        });

        // Checked every 10 s for the whole hold: the same sockets, all still open, no reload.
        await("all three apps connected for " + hold).during(hold).atMost(hold.plusMinutes(1))
                .pollInterval(Duration.ofSeconds(10))
                .until(() -> held.entrySet().stream().allMatch(entry -> entry.getValue().sockets().equals(before.get(entry.getKey()))
                        && "held".equals(entry.getValue().marker())));

        held.forEach((app, browser) -> {
            assertThat(browser.sockets()).as("%s's WebSockets after %s", app, hold).isEqualTo(before.get(app));
            assertThat(browser.marker()).as("%s's page was not reloaded", app).isEqualTo("held");
            assertThat(apps.get(app).isAlive()).as("%s still runs; its log:%n%s", app, apps.get(app).logTail()).isTrue();
        });
        assertThat(JupyterLab.runCell(held.get("jupyterlab"))).isEqualTo("2");
    }

    /**
     * Measures the app's time to usable {@link #rounds} times directly and through the gateway,
     * alternating, each in a fresh browser; then opens it once more through the gateway and returns
     * that browser (held open for the stay-connected check).
     */
    private AppBrowser measureThenOpen(String app, int port, String path, Predicate<AppBrowser> usable) {
        AppProcess process = apps.get(app);
        String directOrigin = process.directUrl("");
        TimeToUsable time = times.computeIfAbsent(app, TimeToUsable::new);
        // One unmeasured direct load first: the app's own first-request work (caches, compiling) is not the gateway's.
        try (AppBrowser warmUp = AppBrowser.start(caSpki, BASE_DOMAIN, List.of(directOrigin))) {
            timeToUsable(warmUp, process.directUrl(path), usable, process);
        }
        for (int round = 0; round < rounds; round++) {
            try (AppBrowser direct = AppBrowser.start(caSpki, BASE_DOMAIN, List.of(directOrigin))) {
                time.direct(timeToUsable(direct, process.directUrl(path), usable, process));
            }
            try (AppBrowser throughGateway = signedIn(port)) {
                time.gateway(timeToUsable(throughGateway, gatewayUrl(port, path), usable, process));
            }
        }
        System.out.println("  " + time.line());
        AppBrowser browser = signedIn(port);
        timeToUsable(browser, gatewayUrl(port, path), usable, process);
        held.put(app, browser);
        return browser;
    }

    /** A fresh browser that holds the gateway's cookie for this port's host, as a signed-in user's does. */
    private AppBrowser signedIn(int port) {
        AppBrowser browser = AppBrowser.start(caSpki, BASE_DOMAIN, List.of());
        try {
            // A browser on the host's network (not root: no namespace of its own) drops a page load
            // in flight when a test elsewhere adds or removes a host veth (ERR_NETWORK_CHANGED) and
            // shows its own error page; only then is the sign-in tried again, with a new one-time URL.
            for (int attempt = 1; ; attempt++) {
                String token = issuer.mint(new DevelopmentIssuer.Claims(OWNER, OWNER + "@" + ORG + ".example", ORG, List.of(),
                        false, Duration.ofHours(1)));
                // The one-time URL on a path the app answers quickly: the gateway sets its cookie and
                // redirects; what the app answers there does not matter.
                browser.driver().get(gatewayUrl(port, "/portcullis-sign-in?access_token=" + token));
                if (!browser.showsNetworkError() || attempt == 3) {
                    break;
                }
            }
            assertThat(browser.driver().manage().getCookieNamed(AccessControl.COOKIE))
                    .as("the gateway's cookie; the page shows: %s", browser.visibleText()).isNotNull();
            return browser;
        } catch (RuntimeException | AssertionError e) {
            browser.close();
            throw e;
        }
    }

    private String gatewayUrl(int port, String path) {
        return "https://" + port + "-" + WORKSPACE + "." + BASE_DOMAIN + ":" + gateway.boundAddresses().get(0).getPort() + path;
    }

    /** From asking for the page to the app being usable, in {@code browser}. */
    private static Duration timeToUsable(AppBrowser browser, String url, Predicate<AppBrowser> usable, AppProcess process) {
        long start = System.nanoTime();
        browser.driver().get(url);
        Callable<Boolean> ready = () -> usable.test(browser);
        try {
            await(process.name() + " usable at " + url).atMost(USABLE_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions().until(ready);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; its WebSockets: " + browser.sockets() + "; the page shows:\n"
                    + browser.visibleText() + "\n" + process.name()
                    + "'s log ends:\n" + process.logTail(), e);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
