package dev.portcullis.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentCliTest {

    @TempDir
    Path dir;

    /** Exit code, stdout and stderr of one CLI run, in process. */
    record Run(int exit, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void runRefusesABadConfigNamingFileLineAndKey() throws Exception {
        Path config = dir.resolve("agent.yaml");
        Files.writeString(config, "stateDir: /tmp/x\naddressRange: 10.213.0.0/33\n");

        Run run = cli("run", "--config", config.toString());

        assertThat(run.exit()).isEqualTo(AgentCli.UNAVAILABLE);
        assertThat(run.err()).contains(config + ":2: addressRange: ");
    }

    @Test
    void helpOfASubcommandNamesItsOptions() {
        Run run = cli("create", "--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("--owner").contains("--egress-mbit").contains("--socket");
    }

    @Test
    void clientCommandsSayWhenTheAgentIsNotRunning() {
        Run run = cli("list", "--socket", dir.resolve("nobody.sock").toString());

        assertThat(run.exit()).isEqualTo(AgentCli.UNAVAILABLE);
        assertThat(run.err()).contains("cannot reach the agent at");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"ws1?x=1", "victim#x", "ws1/../x", "wsä1", "ws1\r\nX-Injected: 1", "WS1"})
    void refusesAnIdTheApiWouldRefuseBeforeSendingAnything(String id) {
        for (String command : new String[] {"delete", "get", "create"}) {
            Run run = command.equals("create")
                    ? cli(command, id, "--owner", "alice", "--org", "acme", "--socket", dir.resolve("nobody.sock").toString())
                    : cli(command, id, "--socket", dir.resolve("nobody.sock").toString());

            assertThat(run.exit()).as(command).isEqualTo(CommandLine.ExitCode.USAGE);
            assertThat(run.err()).as(command).contains("workspace id:").contains("expected: 1-57 characters of a-z")
                    .doesNotContain("cannot reach the agent");
        }
    }

    @Test
    void encodesEveryPathSegmentByteThatIsNotUnreserved() {
        assertThat(AgentClient.pathSegment("ws-1.a_b~")).isEqualTo("ws-1.a_b~");
        assertThat(AgentClient.pathSegment("ws1?x=1#y/ä\r\n")).isEqualTo("ws1%3Fx%3D1%23y%2F%C3%A4%0D%0A");
    }

    @Test
    void createGetDeleteThroughTheCli() {
        RootNetworking.assumeAvailable();
        try (TestHost host = new TestHost("10.213.28.0/30")) {
            AgentDaemon daemon = AgentDaemon.start(host.config().build());
            String socket = host.stateDir().resolve("agent.sock").toString();
            try {
                Run created = cli("create", "ws1", "--owner", "alice", "--org", "acme", "--egress-mbit", "20", "--socket", socket);
                Run missing = cli("get", "nosuch", "--socket", socket);
                Run status = cli("status", "--socket", socket);
                Run deleteWithQuery = cli("delete", "ws1?x=1", "--socket", socket);
                Run stillThere = cli("get", "ws1", "--socket", socket);
                Run deleted = cli("delete", "ws1", "--socket", socket);

                assertThat(created.exit()).as(created.err()).isZero();
                assertThat(created.out()).contains("\"address\" : \"10.213.28.1\"");
                assertThat(missing.exit()).isEqualTo(AgentCli.REFUSED);
                assertThat(missing.err()).contains("404 workspace nosuch does not exist");
                assertThat(status.out()).contains("\"shaping\"");
                assertThat(deleteWithQuery.exit()).isEqualTo(CommandLine.ExitCode.USAGE);
                assertThat(stillThere.exit()).as("'ws1?x=1' must not delete ws1").isZero();
                assertThat(deleted.exit()).isZero();
            } finally {
                daemon.agent().removeEverything();
                daemon.close();
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
