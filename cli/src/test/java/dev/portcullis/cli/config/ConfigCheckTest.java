package dev.portcullis.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.PortcullisCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code portcullis config check}: every problem of a bad file, each with file, line and key; nothing started. */
class ConfigCheckTest {
    @TempDir
    Path folder;

    private Path write(String name, String yaml) throws Exception {
        return Files.writeString(folder.resolve(name), yaml);
    }

    private static List<String> problems(Path file) throws Exception {
        return ConfigCheck.check(file, Optional.empty()).lines();
    }

    @Test
    void aValidGatewayConfigHasNoProblems() throws Exception {
        Path file = write("gateway.yaml", """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                insecureOpenAccess: true
                workspaceAddressRanges: [10.213.0.0/16]
                routes:
                  - {workspace: ws42, address: 10.213.0.2}
                """);

        ConfigCheck.Result result = ConfigCheck.check(file, Optional.empty());

        assertThat(result.kind()).isEqualTo(ConfigCheck.Kind.GATEWAY);
        assertThat(result.problems()).isEmpty();
    }

    @Test
    void findsEveryProblemOfAGatewayConfigNotOnlyTheFirst() throws Exception {
        Path file = write("gateway.yaml", """
                listen: ["127.0.0.1:8443"]
                redirectListen: ["127.0.0.1:70000"]
                baseDomains: [ws.example.com]
                tls:
                  certificates:
                    - certificateChain: a.pem
                      passphrase: secret
                      privateKey: b.pem
                  privateKey: b.pem
                timeouts:
                  conect: 5s
                  idle: forever
                transport: carrier-pigeon
                insecureOpenAccess: true
                workspaceAddressRanges: [10.213.0.0/16]
                routes:
                  - workspace: ws42
                    address: workspace42.internal
                  - workspace: ws43
                    address: 127.0.0.1
                """);

        assertThat(problems(file)).satisfiesExactly(
                p -> assertThat(p).startsWith(file + ":2: redirectListen[0]: port in '127.0.0.1:70000' (expected: 0-65535)"),
                p -> assertThat(p).startsWith(file + ":7: tls.certificates[0].passphrase: unknown key"),
                p -> assertThat(p).startsWith(file + ":9: tls.privateKey: unknown key"),
                p -> assertThat(p).startsWith(file + ":11: timeouts.conect: unknown key"),
                p -> assertThat(p).startsWith(file + ":12: timeouts.idle: 'forever' (expected: a number and a unit"),
                p -> assertThat(p).startsWith(file + ":18: routes[0].address: 'workspace42.internal' (expected: an IPv4"),
                p -> assertThat(p).startsWith(file + ":13: transport: 'carrier-pigeon' (expected: auto, io_uring, epoll or nio)"),
                p -> assertThat(p).startsWith(file + ":16: routes: workspace 'ws43' refused: 127.0.0.1 is loopback"));
    }

    /** A misspelt required key is one mistake, said as the loader says it: unknown here, missing there. */
    @Test
    void aMisspeltRequiredKeyIsReportedAsUnknownAndMissing() throws Exception {
        Path file = write("gateway.yaml", """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls:
                  certificates:
                    - certificateChain: a.pem
                      privatKey: b.pem
                insecureOpenAccess: true
                workspaceAddressRanges: [10.213.0.0/16]
                """);

        assertThat(problems(file)).satisfiesExactly(
                p -> assertThat(p).startsWith(file + ":6: tls.certificates[0].privatKey: unknown key"),
                // At the list item that lacks the key.
                p -> assertThat(p).startsWith(file + ":5: tls.certificates[].privateKey: missing (this key is required)"));
    }

    @Test
    void aMissingRequiredKeyEndsTheCheckAfterWhatCameBefore() throws Exception {
        Path file = write("gateway.yaml", """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                eventLoopThreds: 2
                insecureOpenAccess: true
                """);

        assertThat(problems(file)).containsExactly(
                file + ":3: eventLoopThreds: unknown key (expected one of: [access, adminListen, adminReadTokenFile,"
                        + " baseDomains, eventLoopThreads, fairness, forwarding, hostRoutes, identity, insecureOpenAccess,"
                        + " limits, listen, redirectListen, routeFiles, routes, signin, store, timeouts, tls, transport,"
                        + " workspaceAddressRanges])",
                file + ":1: tls: missing (this key is required)");
    }

    @Test
    void findsEveryProblemOfAnAgentConfig() throws Exception {
        Path file = write("agent.yaml", """
                stateDir: /var/lib/portcullis/agent
                addressRange: 10.213.0.0/33
                tabel: portcullis
                defaultEgressMbit: lots
                """);

        List<String> found = problems(file);

        assertThat(found).hasSize(3);
        // One wording for an unknown key in both loaders: the config kit's.
        assertThat(found.get(0)).startsWith(file + ":3: tabel: unknown key (expected one of: [addressRange,");
        assertThat(found.get(1)).startsWith(file + ":4: defaultEgressMbit: ");
        assertThat(found.get(2)).startsWith(file + ":2: addressRange: ");
        assertThat(ConfigCheck.check(file, Optional.empty()).kind()).isEqualTo(ConfigCheck.Kind.AGENT);
    }

    /** The command prints all three mistakes of a file, each at its line, and says how many there are. */
    @Test
    void theCommandPrintsEveryProblemOfAFileWithThreeMistakes() throws Exception {
        Path file = write("gateway.yaml", """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                timeouts:
                  idle: forever
                limits:
                  maxConections: 10
                insecureOpenAccess: true
                workspaceAddressRanges: [10.213.0.0/16]
                routes:
                  - {workspace: ws42, address: 10.213.0.2, state: paused}
                """);

        assertThat(run(file.toString())).isEqualTo(ExitCode.INVALID_FILE);

        assertThat(out.toString().lines().toList()).satisfiesExactly(
                line -> assertThat(line).isEqualTo(file + ":5: timeouts.idle: 'forever' (expected: a number and a unit:"
                        + " ms, s, m, h or d)"),
                line -> assertThat(line).startsWith(file + ":7: limits.maxConections: unknown key (expected one of: [")
                        .contains("maxConnections"),
                line -> assertThat(line).isEqualTo(file + ":11: routes[0].state: 'paused' (expected: running or stopped)"),
                line -> assertThat(line).isEqualTo(file + ": 3 problems in this gateway config"));
    }

    @Test
    void aYamlSyntaxErrorIsReportedWithItsLine() throws Exception {
        Path file = write("gateway.yaml", "listen: [\"127.0.0.1:8443\"\nbaseDomains: [ws.example.com]\n");

        assertThat(problems(file)).hasSize(1).first().asString().startsWith(file + ":1: listen: while parsing a flow sequence");
    }

    @Test
    void aFileOfNoKnownKindIsRefusedWithWhatWasExpected() throws Exception {
        Path file = write("settings.yaml", "colour: blue\n");

        assertThatThrownBy(() -> ConfigCheck.check(file, Optional.empty())).isInstanceOf(ConfigCheck.Unreadable.class)
                .hasMessageContaining("cannot tell a gateway config from an agent config").hasMessageContaining("--kind");
        assertThat(ConfigCheck.check(file, Optional.of(ConfigCheck.Kind.AGENT)).lines()).first().asString()
                .startsWith(file + ":1: colour: unknown key (expected one of: [");
    }

    @Test
    void theCommandExitsOkForAValidFileInvalidFileForProblemsUsageForABadCommandLine() throws Exception {
        Path valid = write("gateway.yaml", """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                insecureOpenAccess: true
                workspaceAddressRanges: [10.213.0.0/16]
                """);
        Path bad = write("agent.yaml", "stateDir: relative/path\n");

        assertThat(run(valid.toString())).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).contains(valid + ": a valid gateway config");
        assertThat(run(bad.toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(out.toString()).contains(bad + ":1: stateDir: ").contains("1 problem in this agent config");
        assertThat(run(folder.resolve("missing.yaml").toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(run(valid.toString(), "--kind", "router")).isEqualTo(ExitCode.USAGE);
        assertThat(run()).isEqualTo(ExitCode.USAGE);
    }

    private final StringWriter out = new StringWriter();

    private int run(String... args) {
        out.getBuffer().setLength(0);
        String[] all = new String[args.length + 2];
        all[0] = "config";
        all[1] = "check";
        System.arraycopy(args, 0, all, 2, args.length);
        return PortcullisCli.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), all);
    }
}
