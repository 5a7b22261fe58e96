package dev.portcullis.agent.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import java.time.Duration;

/**
 * iperf3 between namespaces the test made: a one-shot server in one, a client in another, the
 * receiver's rate read from the client's JSON report.
 */
public final class Iperf {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Iperf() {}

    public static void assumeInstalled() {
        assumeTrue(COMMANDS.run("iperf3", "--version").ok(), "skipped: iperf3 is not installed (Debian package iperf3)");
    }

    /** A server for exactly one test in {@code namespace}, bound to {@code address}:{@code port}. */
    public static Process server(String namespace, String address, int port) {
        try {
            Process server = new ProcessBuilder("ip", "netns", "exec", namespace, "iperf3", "-s", "-1", "-B", address,
                    "-p", Integer.toString(port)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // Ready when the namespace has a listener on the port.
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() ->
                    COMMANDS.run("ip", "netns", "exec", namespace, "ss", "-Hltn", "sport", "= :" + port)
                            .stdout().contains(":" + port));
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a client in {@code namespace} for {@code seconds} and returns what the receiver got, in Mbit/s. */
    public static double receivedMbit(String namespace, String server, int port, int seconds, String... extra) {
        List<String> argv = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace, "iperf3", "-J", "-c",
                server, "-p", Integer.toString(port), "-t", Integer.toString(seconds)));
        argv.addAll(List.of(extra));
        CommandResult result = COMMANDS.run(argv.toArray(String[]::new));
        try {
            JsonNode report = JSON.readTree(result.stdout());
            if (!result.ok() || report.has("error")) {
                throw new IllegalStateException("iperf3 " + argv + " failed: " + result.stdout() + result.stderr());
            }
            return report.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e6;
        } catch (IOException e) {
            throw new IllegalStateException("iperf3 " + argv + " printed no JSON: " + result.stdout() + result.stderr(), e);
        }
    }

    public static void stop(Process server) {
        if (server != null) {
            server.destroy();
            try {
                server.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
