package dev.portcullis.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.demo.DemoWorkspaceApp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ./portcullis demo} as a user would (after the package phase built it), runs the curl
 * line it prints, presses Ctrl-C, and checks that nothing of it is left running.
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
            String curlLine = awaitCurlLine(demo);
            Matcher port = Pattern.compile("https://\\d+-demo\\.ws\\.localhost:(\\d+)/").matcher(curlLine);
            assertThat(port.find()).as("URL in: " + curlLine).isTrue();
            int gatewayPort = Integer.parseInt(port.group(1));

            Process curl = new ProcessBuilder("bash", "-c", curlLine + " --silent --show-error --max-time 20")
                    .redirectErrorStream(true).start();
            String page = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(curl.exitValue()).as("curl said: " + page).isZero();
            assertThat(page).contains(DemoWorkspaceApp.PAGE_TITLE);

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

    private String awaitCurlLine(Process demo) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> curlLine = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.trim().startsWith("curl ")) {
                        return line.trim();
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String line = curlLine.get(120, TimeUnit.SECONDS);
        assertThat(line).as("a curl line on stdout; stderr was: " + Files.readString(state.resolve("demo.log"))).isNotNull();
        return line;
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
