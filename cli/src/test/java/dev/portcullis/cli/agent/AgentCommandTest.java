package dev.portcullis.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.api.AgentClient;
import dev.portcullis.agent.daemon.AgentDaemon;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.PortcullisCli;
import dev.portcullis.agent.testing.TestHost;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentCommandTest {

    @TempDir
    Path dir;

    /** Exit code, stdout and stderr of one CLI run, in process. */
    record Run(int exit, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] command = new String[args.length + 1];
        command[0] = "agent";
        System.arraycopy(args, 0, command, 1, args.length);
        int exit = PortcullisCli.execute(new PrintWriter(out), new PrintWriter(err), command);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void runRefusesABadConfigNamingFileLineAndKey() throws Exception {
        Path config = dir.resolve("agent.yaml");
        Files.writeString(config, "stateDir: /tmp/x\naddressRange: 10.213.0.0/33\n");

        Run run = cli("run", "--config", config.toString());

        assertThat(run.exit()).isEqualTo(ExitCode.INVALID_FILE);
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

        assertThat(run.exit()).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(run.err()).contains("cannot reach the agent at");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"ws1?x=1", "victim#x", "ws1/../x", "wsä1", "ws1\r\nX-Injected: 1", "WS1"})
    void refusesAnIdTheApiWouldRefuseBeforeSendingAnything(String id) {
        for (String command : new String[] {"delete", "get", "create"}) {
            Run run = command.equals("create")
                    ? cli(command, id, "--owner", "alice", "--org", "acme", "--socket", dir.resolve("nobody.sock").toString())
                    : cli(command, id, "--socket", dir.resolve("nobody.sock").toString());

            assertThat(run.exit()).as(command).isEqualTo(ExitCode.USAGE);
            assertThat(run.err()).as(command).contains("workspace id:").contains("expected: 1-57 characters of a-z")
                    .doesNotContain("cannot reach the agent");
        }
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
                assertThat(missing.exit()).isEqualTo(ExitCode.REFUSED);
                assertThat(missing.err()).contains("404 workspace nosuch does not exist");
                assertThat(status.out()).contains("\"shaping\"");
                assertThat(deleteWithQuery.exit()).isEqualTo(ExitCode.USAGE);
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
