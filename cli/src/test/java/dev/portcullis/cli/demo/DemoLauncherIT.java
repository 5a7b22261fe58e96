package dev.portcullis.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.demo.workspace.DemoNetworkNames;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.cli.ExitCode;
import dev.portcullis.demo.Demo;
import dev.portcullis.testkit.browser.HeadlessChromium;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * Runs {@code ./portcullis demo} as a user would (after the package phase built it), runs the curl
 * line it prints and the sharing walk-through it prints, presses Ctrl-C, and checks that nothing of
 * it is left running. As root (CI) the workspace runs in its own network namespace, and the tests
 * check that it is really served from there and that no kernel object of the demo outlives it.
 */
class DemoLauncherIT {
    private static final Path PROJECT_ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Optional<String> WHY_NO_NAMESPACES = DemoKernelObjects.whyNoNamespaces();
    private static final String NAMESPACE = DemoKernelObjects.TEST.namespacePrefix() + Demo.WORKSPACE;
    private static final DemoKernelObjects OURS = new DemoKernelObjects(DemoKernelObjects.TEST);

    @TempDir
    Path state;

    private final List<Process> demos = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Process demo : demos) {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
            demo.waitFor(10, TimeUnit.SECONDS);
        }
        if (WHY_NO_NAMESPACES.isEmpty()) {
            OURS.removeAll(); // only after a failure is there anything left; only the tests' own names
        }
    }

    @Test
    void demoStartsItsCurlLineWorksAndCtrlCLeavesNothingBehind() throws Exception {
        assertThat(PROJECT_ROOT.resolve("portcullis")).isExecutable();
        Process demo = startDemo();
        List<String> welcome = awaitWelcome(demo);
        String curlLine = firstLineStartingWith(welcome, "curl ");
        Matcher ports = Pattern.compile("https://(\\d+)-demo\\.ws\\.localhost:(\\d+)/").matcher(curlLine);
        assertThat(ports.find()).as("URL in: " + curlLine).isTrue();
        int workspacePort = Integer.parseInt(ports.group(1));
        int gatewayPort = Integer.parseInt(ports.group(2));
        String page = curl(curlLine);
        assertThat(page).contains(DemoWorkspaceApp.PAGE_TITLE);

        String where = firstLineStartingWith(welcome, "The workspace app runs ");
        if (WHY_NO_NAMESPACES.isEmpty()) {
            Matcher address = Pattern.compile("runs inside network namespace " + NAMESPACE + " at (10\\.213\\.254\\.\\d+)$")
                    .matcher(where);
            assertThat(address.find()).as(where).isTrue();
            // The app answered on the namespace's address: the gateway reached it through the veth.
            assertThat(page).contains("runs inside network namespace " + NAMESPACE + " and answered on <code>"
                    + address.group(1) + ":" + workspacePort + "</code>");
            assertThat(Files.readString(state.resolve("netns/routes.json"))).as("the agent's route")
                    .contains("\"address\" : \"" + address.group(1) + "\"");
            assertThat(DemoKernelObjects.pidsIn(NAMESPACE)).as("the app's JVM runs inside the namespace")
                    .containsAnyElementsOf(demo.descendants().map(ProcessHandle::pid).toList());
        } else {
            assertThat(where).startsWith("The workspace app runs on loopback: not running as root");
            assertThat(page).contains("runs on loopback (not running as root");
        }

        walkThroughSharing(welcome);
        pressCtrlC(demo);
        assertThat(isListening(gatewayPort)).as("gateway port released").isFalse();
    }

    @Test
    void noNetnsRunsTheWorkspaceOnLoopbackAndSaysWhy() throws Exception {
        Process demo = startDemo("--no-netns");
        List<String> welcome = awaitWelcome(demo);

        assertThat(welcome).contains("The workspace app runs on loopback: --no-netns was given");
        assertThat(curl(firstLineStartingWith(welcome, "curl ")))
                .contains("runs on loopback (--no-netns was given) and answered on <code>127.0.0.1:");
        if (WHY_NO_NAMESPACES.isEmpty()) {
            assertThat(OURS.namespaces()).as("no namespace was made").isEmpty();
        }
        pressCtrlC(demo);
    }

    @Test
    void aDemoKilledWithSigkillLeavesResidueThatTheNextStartReconcilesAndReports() throws Exception {
        assumeTrue(WHY_NO_NAMESPACES.isEmpty(), () -> "skipped, needs a workspace network namespace: " + WHY_NO_NAMESPACES.get());
        Process killed = startDemo();
        awaitWelcome(killed);
        List<ProcessHandle> app = killed.descendants().toList();
        assertThat(app).as("the workspace app's JVM").isNotEmpty();
        new ProcessBuilder("kill", "-KILL", Long.toString(killed.pid())).start().waitFor(10, TimeUnit.SECONDS);
        assertThat(killed.waitFor(10, TimeUnit.SECONDS)).isTrue();
        // The app stops when its standard input ends, which is when the demo is gone.
        for (ProcessHandle process : app) {
            assertThat(process.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get())
                    .as("the app outlived a SIGKILLed demo").isNotNull();
        }
        assertThat(OURS.namespaces()).as("the residue of a SIGKILL").containsExactly(NAMESPACE);
        assertThat(OURS.links()).hasSize(1);

        Process next = startDemo();
        List<String> welcome = awaitWelcome(next);
        assertThat(Files.readString(state.resolve("demo.log")))
                .contains("a previous demo did not clean up (was it killed?); reconciled what it left:")
                .contains("deleted workspace network " + NAMESPACE);
        assertThat(curl(firstLineStartingWith(welcome, "curl "))).contains("runs inside network namespace " + NAMESPACE);
        pressCtrlC(next);
    }

    /** Issue 16 item 4: one demo per state folder; the second one says who runs it and how to stop it. */
    @Test
    void aSecondDemoOnTheSameStateFolderSaysWhichPidRunsItAndHowToStopIt() throws Exception {
        Process first = startDemo("--no-netns");
        List<String> welcome = awaitWelcome(first);

        Path secondLog = state.resolve("second.log");
        Process second = startDemo(secondLog, "--no-netns");
        assertThat(second.waitFor(2, TimeUnit.MINUTES)).as("the second demo stops by itself").isTrue();

        String said = Files.readString(secondLog);
        assertThat(second.exitValue()).as(said).isEqualTo(1);
        // The launcher execs the JVM: the demo's pid is the process the test started.
        assertThat(said).contains("another demo runs with the state folder " + state + " (pid " + first.pid() + ")")
                .contains("Ctrl-C").contains("kill " + first.pid()).contains("--state-dir");
        assertThat(curl(firstLineStartingWith(welcome, "curl "))).as("the first demo still serves")
                .contains(DemoWorkspaceApp.PAGE_TITLE);
        pressCtrlC(first);
    }

    /**
     * Issue 16 item 4: the suite run beside a running {@code ./portcullis demo} removed the demo's
     * namespace, link and table (the clean-up deleted every {@code pcdemo-} object). Here a demo-like
     * owner holds the demo's machine lock and has a namespace and a table with the demo's names (a
     * real demo on this machine, when one runs, is the owner instead and its objects are the
     * witnesses); a test demo runs, stops, and the clean-up runs: the owner's objects survive.
     */
    @Test
    void aTestDemoAndItsCleanUpNeverTouchARunningDemosNetwork() throws Exception {
        assumeTrue(WHY_NO_NAMESPACES.isEmpty(), () -> "skipped, needs a workspace network namespace: " + WHY_NO_NAMESPACES.get());
        DemoNetworkNames demoNames = DemoNetworkNames.DEMO;
        DemoKernelObjects demos = new DemoKernelObjects(demoNames);
        ProcessCommandRunner commands = new ProcessCommandRunner();
        String witness = demoNames.namespacePrefix() + "witness" + ProcessHandle.current().pid() % 100_000;
        boolean madeTable = false;
        boolean madeNamespace = false;
        try (FileChannel lockFile = FileChannel.open(demoNames.machineLock(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock owner = lockFile.tryLock();
            if (owner != null) { // no demo runs: this test is the owner, with objects of the demo's names
                madeNamespace = commands.run("ip", "netns", "add", witness).ok();
                madeTable = !demos.tableExists() && commands.run("nft", "add", "table", "inet", demoNames.table()).ok();
                assertThat(madeNamespace).as("witness namespace " + witness).isTrue();
            }
            List<String> namespacesBefore = demos.namespaces();
            boolean tableBefore = demos.tableExists();
            assertThat(namespacesBefore).as("the owner's namespaces").isNotEmpty();

            Process demo = startDemo();
            List<String> welcome = awaitWelcome(demo);
            assertThat(firstLineStartingWith(welcome, "The workspace app runs "))
                    .as("the test's demo has a network of its own").contains("inside network namespace " + NAMESPACE);
            pressCtrlC(demo);
            OURS.removeAll(); // what every test's clean-up does

            assertThat(demos.namespaces()).as("the owner's namespaces").containsAll(namespacesBefore);
            assertThat(demos.tableExists()).as("the owner's table inet " + demoNames.table()).isEqualTo(tableBefore);
        } finally {
            if (madeNamespace) {
                commands.run("ip", "netns", "delete", witness);
            }
            if (madeTable) {
                commands.run("nft", "delete", "table", "inet", demoNames.table());
            }
        }
    }

    /**
     * A new user's way in: the printed URL opened in a real browser leads through the demo provider's
     * login page, where picking alice lands on the workspace page, with no token in any URL.
     */
    @Test
    void aBrowserSignsInThroughTheDemoProvidersLoginPage() throws Exception {
        HeadlessChromium.assumeAvailable();
        Process demo = startDemo("--no-netns");
        List<String> welcome = awaitWelcome(demo);
        int browserLine = welcome.indexOf(welcome.stream().filter(line -> line.trim().startsWith("In a browser, open"))
                .findFirst().orElseThrow());
        String url = welcome.get(browserLine + 1).trim();
        assertThat(url).matches("https://\\d+-demo\\.ws\\.localhost:\\d+/");
        X509Certificate ca;
        try (var in = Files.newInputStream(state.resolve("tls/ca.pem"))) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        try (HeadlessChromium chromium = HeadlessChromium.builder().trustingSpki(HeadlessChromium.spkiSha256(ca))
                .pageLoadTimeout(Duration.ofSeconds(60)).start()) {
            chromium.driver().get(url);
            assertThat(chromium.driver().getCurrentUrl()).startsWith("http://localhost:").contains("/authorize");

            chromium.driver().findElement(By.id("alice")).click();

            await().atMost(Duration.ofSeconds(30)).until(() -> chromium.driver().getCurrentUrl().equals(url));
            assertThat(chromium.driver().getTitle()).contains(DemoWorkspaceApp.PAGE_TITLE);
            assertThat(chromium.driver().manage().getCookieNamed("__Host-portcullis")).isNotNull();
        }
        pressCtrlC(demo);
    }

    /**
     * The walk in the browser: alice signs in, opens the console, sees the demo workspace's
     * port and shares it with the org; bob's browser then gets in; the printed admin link opens the
     * org's policy page.
     */
    @Test
    void aNewUserSharesTheDemoPortWithTheOrgInTheConsoleAndTheAdminLinkOpensThePolicyPage() throws Exception {
        HeadlessChromium.assumeAvailable();
        Process demo = startDemo("--no-netns");
        List<String> welcome = awaitWelcome(demo);
        String url = welcome.get(welcome.indexOf(firstLineStartingWith(welcome, "In a browser, open")) + 1);
        String console = welcome.get(welcome.indexOf(firstLineStartingWith(welcome, "The console")) + 1);
        String adminLink = welcome.stream().filter(line -> line.startsWith("https://login.") && line.contains("access_token="))
                .findFirst().orElseThrow();
        int port = Integer.parseInt(url.substring("https://".length(), url.indexOf('-')));
        X509Certificate ca;
        try (var in = Files.newInputStream(state.resolve("tls/ca.pem"))) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        HeadlessChromium.Builder browsers = HeadlessChromium.builder().trustingSpki(HeadlessChromium.spkiSha256(ca))
                .pageLoadTimeout(Duration.ofSeconds(60));
        try (HeadlessChromium alice = browsers.start(); HeadlessChromium bob = browsers.start();
             HeadlessChromium admin = browsers.start()) {
            signIn(alice.driver(), console, "alice");
            String id = "demo-" + port;
            assertThat(alice.driver().findElement(By.id("effective-" + id)).getText()).isEqualTo("owner");
            new Select(alice.driver().findElement(By.id("level-" + id))).selectByValue("organization");
            alice.driver().findElement(By.id("save-" + id)).click();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    alice.driver().findElement(By.id("effective-" + id)).getText().equals("organization"));

            signIn(bob.driver(), url, "bob");
            assertThat(bob.driver().getTitle()).contains(DemoWorkspaceApp.PAGE_TITLE);

            admin.driver().get(adminLink);
            assertThat(admin.driver().getCurrentUrl()).isEqualTo(console + "console/policy");
            assertThat(admin.driver().findElements(By.id("policy-text"))).hasSize(1);
        }
        pressCtrlC(demo);
    }

    /** Opens {@code url}, picks {@code user} on the demo provider's login page, and waits to be back. */
    private static void signIn(ChromeDriver driver, String url, String user) {
        driver.get(url);
        assertThat(driver.getCurrentUrl()).contains("/authorize");
        driver.findElement(By.id(user)).click();
        await().atMost(Duration.ofSeconds(30)).until(() -> driver.getCurrentUrl().equals(url));
    }

    private Process startDemo(String... options) throws IOException {
        return startDemo(state.resolve("demo.log"), options);
    }

    private Process startDemo(Path log, String... options) throws IOException {
        List<String> command = new ArrayList<>(List.of(PROJECT_ROOT.resolve("portcullis").toString(), "demo",
                "--https-port", "0", "--admin-port", "0", "--workspace-port", "0", "--idp-port", "0",
                "--state-dir", state.toString()));
        command.addAll(DemoKernelObjects.TEST_OPTIONS);
        command.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(command).directory(PROJECT_ROOT.toFile())
                .redirectError(log.toFile());
        builder.environment().put("PORTCULLIS_NO_BUILD", "1"); // the build ran; a stale one must fail, not rebuild
        Process demo = builder.start();
        demos.add(demo);
        return demo;
    }

    /** Ctrl-C: the demo and its children stop, and no kernel object with the demo's names is left. */
    private static void pressCtrlC(Process demo) throws Exception {
        List<ProcessHandle> family = demo.descendants().toList();
        new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor(10, TimeUnit.SECONDS);
        assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("demo stopped after Ctrl-C").isTrue();
        assertThat(family).noneMatch(ProcessHandle::isAlive);
        if (WHY_NO_NAMESPACES.isEmpty()) {
            assertThat(OURS.namespaces()).as("namespaces").isEmpty();
            assertThat(OURS.links()).as("links").isEmpty();
            assertThat(OURS.tableExists()).as("table inet " + DemoKernelObjects.TEST.table()).isFalse();
        }
    }

    private static String curl(String curlLine) throws Exception {
        Process curl = new ProcessBuilder("bash", "-c", curlLine + " --silent --show-error --max-time 20")
                .redirectErrorStream(true).start();
        String page = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(curl.exitValue()).as("curl said: " + page).isZero();
        return page;
    }

    /**
     * The sharing walk-through the demo prints, run as printed: bob is denied, alice shares the port
     * with the org, bob gets in; eve of another org is denied with a reason; an admin applies a
     * policy and asks the gateway why someone is denied.
     */
    private void walkThroughSharing(List<String> welcome) throws Exception {
        String bobToken = firstLineStartingWith(welcome, "BOB=");
        String bobCurl = welcome.get(welcome.indexOf(bobToken) + 1);
        String share = firstLineStartingWith(welcome, "PORTCULLIS_TOKEN=");
        String tokenOptions = bobToken.substring(bobToken.indexOf(" --org"), bobToken.length() - 1); // org, state dir
        Path policy = state.resolve("acme-policy.yaml");
        Files.writeString(policy, """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: organization}
                rules:
                  - {name: no-interns, effect: deny, match: {groups: [interns]}}
                """);
        String gatewayOption = share.contains("--gateway") ? share.substring(share.indexOf(" --gateway")) : "";
        String url = bobCurl.substring(bobCurl.lastIndexOf(' ') + 1);
        String script = String.join("\n",
                "set -u",
                bobToken,
                "echo \"bob-before=$(" + bobCurl + " -s -o /dev/null -w '%{http_code}')\"",
                share + " > /dev/null; echo \"share-exit=$?\"",
                "echo \"bob-after=$(" + bobCurl + " -s -o /dev/null -w '%{http_code}')\"",
                "EVE=$(./portcullis token --user eve" + tokenOptions.replace("--org acme", "--org globex") + ")",
                "echo \"eve=$(" + bobCurl.replace("$BOB", "$EVE") + " -s)\"",
                "export PORTCULLIS_TOKEN=$(./portcullis token --user carol --admin" + tokenOptions + ")",
                "./portcullis policy apply " + policy + gatewayOption + "; echo \"apply-exit=$?\"",
                "./portcullis policy explain --user dave --org acme --groups interns --url " + url + gatewayOption
                        + "; echo \"explain-exit=$?\"");
        Process run = new ProcessBuilder("bash", "-c", script).directory(PROJECT_ROOT.toFile()).redirectErrorStream(true)
                .start();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(output).as(output)
                .contains("bob-before=403").contains("share-exit=0").contains("bob-after=200")
                .contains("\"reasons\":[\"share-org\",\"not-org-member\"]")
                .contains("applied to org acme").contains("apply-exit=0")
                .contains("deny-rule:no-interns").contains("explain-exit=" + ExitCode.DENIED);
    }

    private static String firstLineStartingWith(List<String> lines, String prefix) {
        return lines.stream().filter(line -> line.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in: " + lines));
    }

    /** The demo's welcome text, trimmed lines, up to "Press Ctrl-C". */
    private List<String> awaitWelcome(Process demo) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<List<String>> welcome = CompletableFuture.supplyAsync(() -> {
            List<String> lines = new ArrayList<>();
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line.trim());
                    if (line.contains("Press Ctrl-C")) {
                        return lines;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        List<String> lines = welcome.get(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS);
        assertThat(lines).as("the welcome text on stdout; stderr was: " + Files.readString(state.resolve("demo.log"))).isNotNull();
        return lines;
    }

    private static boolean isListening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
