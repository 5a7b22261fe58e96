package dev.portcullis.cli.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.PortcullisCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code share}, {@code ports}, {@code policy apply} and {@code policy explain --gateway} against a real gateway's admin API. */
class AdminApiCommandsTest {
    @TempDir
    static Path state;

    private static AdminGateway gateway;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void start() throws Exception {
        gateway = AdminGateway.start(state);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private int run(String token, String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        String[] command = new String[args.length + 4];
        System.arraycopy(args, 0, command, 0, args.length);
        command[args.length] = "--gateway";
        command[args.length + 1] = gateway.adminUrl();
        command[args.length + 2] = "--token";
        command[args.length + 3] = token;
        return PortcullisCli.execute(new PrintWriter(out), new PrintWriter(err), command);
    }

    @Test
    void shareListAndRemoveAPortOfTheOwnersWorkspace() {
        String alice = gateway.token("alice", "acme", false);

        assertThat(run(alice, "share", "demo", "4100", "--level", "organization", "--expires", "8h")).as(err.toString())
                .isEqualTo(ExitCode.OK);
        assertThat(out.toString()).contains("port 4100 of demo shared: organization, until ");
        assertThat(run(alice, "share", "ls", "demo")).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).containsPattern("4100 +organization +organization");
        assertThat(run(alice, "share", "rm", "demo", "4100")).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).contains("port 4100 of demo is no longer shared");
    }

    /** EFFECTIVE is what the org's policy makes of the share: public, or organization once a test applied acme's. */
    @Test
    void portsListsTheWorkspacesPortsAsATableOrAsJson() {
        String alice = gateway.token("alice", "acme", false);
        assertThat(run(alice, "share", "demo", "4000", "--level", "public")).as(err.toString()).isEqualTo(ExitCode.OK);

        assertThat(run(alice, "ports", "demo")).as(err.toString()).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).contains("does not report listening ports")
                .containsPattern("4000 +http +unknown +public +(public|organization) +https://4000-demo\\." + AdminGateway.BASE_DOMAIN + "/");
        assertThat(run(alice, "ports", "demo", "--json")).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).startsWith("{\"workspace\":\"demo\"");
    }

    @Test
    void anotherMembersCallIsRefusedWithTheGatewaysStatus() {
        assertThat(run(gateway.token("bob", "acme", false), "ports", "demo")).as("not bob's").isEqualTo(ExitCode.REFUSED);
        assertThat(err.toString()).contains("ports: refused (403)");
    }

    @Test
    void anAdminAppliesAPolicyAndTheGatewayExplainsADenial() throws Exception {
        Path policy = Files.writeString(state.resolve("acme.yaml"), """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: organization}
                rules:
                  - {name: no-interns, effect: deny, match: {groups: [interns]}}
                """);
        String carol = gateway.token("carol", "acme", true);

        assertThat(run(gateway.token("bob", "acme", false), "policy", "apply", policy.toString()))
                .as("bob is no admin").isEqualTo(ExitCode.REFUSED);
        assertThat(run(carol, "policy", "apply", policy.toString())).as(err.toString()).isEqualTo(ExitCode.OK);
        assertThat(out.toString()).contains("applied to org acme");
        assertThat(run(carol, "policy", "explain", "--user", "dave", "--org", "acme", "--groups", "interns",
                "--url", "https://3000-demo." + AdminGateway.BASE_DOMAIN + "/")).isEqualTo(ExitCode.DENIED);
        assertThat(out.toString()).contains("decision:  DENY").contains("deny-rule:no-interns");
    }
}
