package dev.portcullis.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.cli.admin.AdminGateway;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One exit-code table for every command (docs/cli.md): each class of outcome triggered through the
 * real commands, and the same failure giving the same code in every command that can meet it.
 */
class ExitCodesTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return PortcullisCli.execute(new PrintWriter(out), new PrintWriter(err), args);
    }

    private Path policy() throws IOException {
        return Files.writeString(dir.resolve("acme.yaml"), """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: organization}
                """);
    }

    /** A loopback port nothing listens on: a gateway that is not running. */
    private static String closedGateway() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    void okWhenTheCommandDidWhatItWasAsked() throws Exception {
        assertThat(run("policy", "validate", policy().toString())).isEqualTo(ExitCode.OK);
        assertThat(run("--version")).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).startsWith("portcullis ");
    }

    @Test
    void failedWhenSomethingWentWrongWhileDoingIt() {
        assertThat(run("token", "--user", "alice", "--state-dir", dir.toString())).isEqualTo(ExitCode.FAILED);
        assertThat(err.toString()).contains("no development issuer key in " + dir.resolve("issuer"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway", "agent list", "agent run", "token", "policy validate", "policy apply", "policy explain",
        "share", "share ls", "ports", "config check", "demo"})
    void usageForAnUnknownOptionInEveryCommand(String command) {
        String[] words = (command + " --no-such-option").split(" ");

        assertThat(run(words)).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).containsAnyOf("Usage: portcullis " + command, "Unknown option: '--no-such-option'");
    }

    @Test
    void usageForAWorkspaceIdThatIsNoIdInEveryCommandThatTakesOne() {
        assertThat(run("ports", "WS/x", "--token", "t")).isEqualTo(ExitCode.USAGE);
        assertThat(run("share", "WS/x", "3000", "--level", "public", "--token", "t")).isEqualTo(ExitCode.USAGE);
        assertThat(run("agent", "get", "WS/x")).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("workspace id:");
    }

    @Test
    void deniedWhenExplainFindsTheRequestDenied() throws Exception {
        assertThat(run("policy", "explain", "--policy", policy().toString(), "--workspace-owner", "alice",
                "--user", "bob", "--org", "globex", "--url", "https://3000-ws42.ws.example.com/")).isEqualTo(ExitCode.DENIED);
        assertThat(out.toString()).contains("decision:  DENY");
    }

    /** The example: a bad config exited 2 from the gateway and 3 from the agent. */
    @Test
    void invalidFileForABadConfigFromTheGatewayTheAgentAndConfigCheckAlike() throws Exception {
        Path gatewayConfig = Files.writeString(dir.resolve("gateway.yaml"), "listen: [\"127.0.0.1:70000\"]\n");
        Path agentConfig = Files.writeString(dir.resolve("agent.yaml"), "stateDir: /tmp/x\naddressRange: 10.213.0.0/33\n");

        assertThat(run("gateway", "--config", gatewayConfig.toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(err.toString()).contains(gatewayConfig + ":1: ");
        assertThat(run("agent", "run", "--config", agentConfig.toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(err.toString()).contains(agentConfig + ":2: addressRange: ");
        assertThat(run("config", "check", gatewayConfig.toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(run("config", "check", agentConfig.toString())).isEqualTo(ExitCode.INVALID_FILE);
    }

    @Test
    void invalidFileForABadPolicyInValidateApplyAndExplain() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "apiVersion: portcullis.dev/v1\nkind: OrgPolicy\norg: acme\nsharing: {maxLevel: wide}\n");

        assertThat(run("policy", "validate", bad.toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(run("policy", "apply", bad.toString(), "--gateway", closedGateway(), "--token", "t"))
                .as("refused before anything is sent").isEqualTo(ExitCode.INVALID_FILE);
        assertThat(run("policy", "explain", "--policy", bad.toString(), "--workspace-owner", "alice",
                "--url", "https://3000-ws42.ws.example.com/")).isEqualTo(ExitCode.INVALID_FILE);
    }

    @Test
    void unreachableWhenNoGatewayOrAgentAnswers() throws Exception {
        String gateway = closedGateway();

        assertThat(run("ports", "ws42", "--gateway", gateway, "--token", "t")).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(run("share", "ws42", "3000", "--level", "public", "--gateway", gateway, "--token", "t"))
                .isEqualTo(ExitCode.UNREACHABLE);
        assertThat(run("policy", "apply", policy().toString(), "--gateway", gateway, "--token", "t"))
                .isEqualTo(ExitCode.UNREACHABLE);
        assertThat(run("agent", "status", "--socket", dir.resolve("nobody.sock").toString())).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(err.toString()).contains("cannot reach the agent at");
    }

    @Test
    void refusedWhenTheGatewayAnswersNo() throws Exception {
        try (AdminGateway gateway = AdminGateway.start(dir.resolve("gateway"))) {
            String bob = gateway.token("bob", "acme", false);

            assertThat(run("ports", AdminGateway.WORKSPACE, "--gateway", gateway.adminUrl(), "--token", bob))
                    .isEqualTo(ExitCode.REFUSED);
            assertThat(run("share", AdminGateway.WORKSPACE, "3000", "--level", "public", "--gateway", gateway.adminUrl(),
                    "--token", bob)).isEqualTo(ExitCode.REFUSED);
            assertThat(err.toString()).contains("share: refused (403)");
        }
    }
}
