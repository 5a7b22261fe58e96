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
                Run deleted = cli("delete", "ws1", "--socket", socket);

                assertThat(created.exit()).as(created.err()).isZero();
                assertThat(created.out()).contains("\"address\" : \"10.213.28.1\"");
                assertThat(missing.exit()).isEqualTo(AgentCli.REFUSED);
                assertThat(missing.err()).contains("404 workspace nosuch does not exist");
                assertThat(status.out()).contains("\"shaping\"");
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
