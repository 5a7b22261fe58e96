package dev.portcullis.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.demo.DemoWorkspaceApp;
import dev.portcullis.policy.cli.PolicyCli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ./portcullis demo} as a user would (after the package phase built it), runs the curl
 * line it prints and the sharing walk-through it prints, presses Ctrl-C, and checks that nothing of
 * it is left running.
 */
class DemoLauncherIT {
    private static final Path PROJECT_ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path state;

    @Test
    void demoStartsItsCurlLineWorksAndCtrlCLeavesNothingBehind() throws Exception {
        assertThat(PROJECT_ROOT.resolve("portcullis")).isExecutable();
        ProcessBuilder builder = new ProcessBuilder(PROJECT_ROOT.resolve("portcullis").toString(), "demo",
                "--https-port", "0", "--workspace-port", "0", "--state-dir", state.toString())
                .directory(PROJECT_ROOT.toFile())
                .redirectError(state.resolve("demo.log").toFile());
        builder.environment().put("PORTCULLIS_NO_BUILD", "1"); // the build ran; a stale one must fail, not rebuild
        Process demo = builder.start();
        try {
            List<String> welcome = awaitWelcome(demo);
            String curlLine = firstLineStartingWith(welcome, "curl ");
            Matcher port = Pattern.compile("https://\\d+-demo\\.ws\\.localhost:(\\d+)/").matcher(curlLine);
            assertThat(port.find()).as("URL in: " + curlLine).isTrue();
            int gatewayPort = Integer.parseInt(port.group(1));

            Process curl = new ProcessBuilder("bash", "-c", curlLine + " --silent --show-error --max-time 20")
                    .redirectErrorStream(true).start();
            String page = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(curl.exitValue()).as("curl said: " + page).isZero();
            assertThat(page).contains(DemoWorkspaceApp.PAGE_TITLE);

            walkThroughSharing(welcome);

            List<ProcessHandle> family = demo.toHandle().descendants().toList();
            new ProcessBuilder("kill", "-INT", Long.toString(demo.pid())).start().waitFor(10, TimeUnit.SECONDS);

            assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("demo stopped after Ctrl-C").isTrue();
            assertThat(family).noneMatch(ProcessHandle::isAlive);
            assertThat(isListening(gatewayPort)).as("gateway port released").isFalse();
        } finally {
            demo.destroyForcibly();
            demo.waitFor(10, TimeUnit.SECONDS);
        }
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
                .contains("deny-rule:no-interns").contains("explain-exit=" + PolicyCli.EXIT_DENIED);
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
        List<String> lines = welcome.get(120, TimeUnit.SECONDS);
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
