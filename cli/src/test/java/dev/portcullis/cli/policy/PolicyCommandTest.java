package dev.portcullis.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.PortcullisCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCommandTest {

    private static final String POLICY = Path.of("../policy/examples/org-policy.yaml").toString();
    private static final String SHARES = Path.of("../policy/examples/shares-ws42.yaml").toString();

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** Runs {@code portcullis policy validate|apply|explain ...}, or {@code portcullis share|ports ...}. */
    private int run(String... args) {
        final boolean topLevel = args.length > 0 && (args[0].equals("share") || args[0].equals("ports"));
        final String[] command = new String[args.length + (topLevel ? 0 : 1)];
        if (!topLevel) {
            command[0] = "policy";
        }
        System.arraycopy(args, 0, command, topLevel ? 0 : 1, args.length);
        return PortcullisCli.execute(new PrintWriter(out), new PrintWriter(err), command);
    }

    @Test
    void validatePrintsOkForValidFiles() {
        assertThat(run("validate", POLICY, SHARES)).isZero();
        assertThat(out.toString()).contains(POLICY + ": OK", SHARES + ": OK");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void validatePrintsEveryErrorWithFileLineColumnAndField(@TempDir Path dir) throws IOException {
        final Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                sharing:
                  maxLevel: wide
                  portRules:
                    - {name: db, ports: [70000], maxLevel: owner}
                """);

        assertThat(run("validate", file.toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(err.toString().lines()).containsExactly(
                file + ":4:13: sharing.maxLevel: \"wide\" is not a share level "
                + "(expected one of: owner, users, organization, authenticated, public)",
                file + ":6:26: sharing.portRules[0].ports[0]: 70000 (expected: a port number, 1-65535)",
                file + ": 2 errors");
    }

    @Test
    void validateFailsForAMissingFile(@TempDir Path dir) {
        assertThat(run("validate", dir.resolve("nope.yaml").toString())).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(err.toString()).contains("nope.yaml:1:1: cannot read");
    }

    @Test
    void explainPrintsAllowAndTheReason() {
        final int code = run("explain", "--policy", POLICY, "--shares", SHARES, "--user", "carol", "--org", "acme",
                             "--groups", "dev,reviewers", "--workspace-owner", "alice",
                             "--url", "https://4000-ws42.ws.example.com/app");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("decision:  ALLOW").contains("share-users");
    }

    @Test
    void explainPrintsDenyAndEveryReasonWithExitCode3() {
        final int code = run("explain", "--policy", POLICY, "--shares", SHARES, "--user", "bob", "--org", "globex",
                             "--workspace-owner", "alice", "--url", "https://8080-ws42.ws.example.com/");

        assertThat(code).isEqualTo(ExitCode.DENIED);
        assertThat(out.toString()).contains("decision:  DENY", "share-org", "not-org-member",
                                            "not in the workspace's organization");
    }

    @Test
    void explainShowsDenyRulesAndMethodAndLabels() {
        final int code = run("explain", "--policy", POLICY, "--shares", SHARES, "--user", "alice", "--org", "acme",
                             "--workspace-owner", "alice", "--label", "env=prod", "--method", "DELETE",
                             "--url", "https://3000-ws42.ws.example.com/items/1");

        assertThat(code).isEqualTo(ExitCode.DENIED);
        assertThat(out.toString()).contains("deny-rule:no-prod-deletes", "a deny always wins");
    }

    /** {@code --user bob@corp} is subject bob of the issuer aliased corp: a share naming {@code bob@corp} admits only that bob. */
    @Test
    void explainReadsAQualifiedUserAsSubjectAndIssuer(@TempDir Path dir) throws IOException {
        final Path shares = dir.resolve("shares.yaml");
        Files.writeString(shares, """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: ws42
                shares:
                  - {port: 4000, level: users, users: [bob@corp]}
                """);

        assertThat(run("explain", "--policy", POLICY, "--shares", shares.toString(), "--user", "bob@corp",
                       "--workspace-owner", "alice", "--url", "https://4000-ws42.ws.example.com/")).isZero();
        assertThat(out.toString()).contains("principal: bob@corp", "share-users");

        assertThat(run("explain", "--policy", POLICY, "--shares", shares.toString(), "--user", "bob@partner",
                       "--workspace-owner", "alice", "--url", "https://4000-ws42.ws.example.com/"))
                .isEqualTo(ExitCode.DENIED);
    }

    @Test
    void explainExplainsAnExpiredShareInsteadOfRejectingTheFile() {
        final int code = run("explain", "--policy", POLICY, "--shares", SHARES, "--user", "bob", "--org", "acme",
                             "--workspace-owner", "alice", "--at", "2100-01-01T00:00:00Z",
                             "--url", "https://4000-ws42.ws.example.com/");

        assertThat(code).isEqualTo(ExitCode.DENIED);
        assertThat(out.toString()).contains("share-expired");
    }

    @Test
    void explainRejectsAUrlWithoutPortAndWorkspace() {
        final int code = run("explain", "--policy", POLICY, "--workspace-owner", "alice",
                             "--url", "https://ws42.ws.example.com/");

        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("https://ws42.ws.example.com/", "expected: https://<port>-<workspace>");
    }

    @Test
    void explainRejectsSharesOfAnotherWorkspace() {
        final int code = run("explain", "--policy", POLICY, "--shares", SHARES, "--workspace-owner", "alice",
                             "--url", "https://3000-ws43.ws.example.com/");

        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("shares of workspace ws42", "for workspace ws43");
    }

    @Test
    void explainRefusesAnInvalidPolicyAndListsItsErrors(@TempDir Path dir) throws IOException {
        final Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "apiVersion: portcullis.dev/v1\nkind: OrgPolicy\nsharing: {maxLevel: wide}\n");

        final int code = run("explain", "--policy", file.toString(), "--workspace-owner", "alice",
                             "--url", "https://3000-ws42.ws.example.com/");

        assertThat(code).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(err.toString()).contains(file + ":3:21: sharing.maxLevel:");
        assertThat(out.toString()).doesNotContain("decision");
    }

    @Test
    void withoutSubcommandShowsUsage() {
        assertThat(run()).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("validate", "explain");
    }

    /** A loopback port nothing listens on: a gateway that is not running. */
    private static String closedGateway() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    @Test
    void applyValidatesLocallyAndSendsNothingInvalid(@TempDir Path dir) throws IOException {
        final Path file = dir.resolve("acme.yaml");
        Files.writeString(file, """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: wide}
                """);

        assertThat(run("apply", file.toString(), "--gateway", closedGateway(), "--token", "t")).isEqualTo(ExitCode.INVALID_FILE);
        assertThat(err.toString()).contains(file + ":4:21: sharing.maxLevel").contains("not applied")
                .doesNotContain("cannot reach");
    }

    @Test
    void applyNamesAGatewayThatDoesNotAnswer() throws IOException {
        final String gateway = closedGateway();

        assertThat(run("apply", POLICY, "--gateway", gateway, "--token", "t")).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(err.toString()).contains("cannot reach the gateway's admin listener at " + gateway);
    }

    @Test
    void portsRefusesAWorkspaceIdThatIsNoIdBeforeAsking() throws IOException {
        assertThat(run("ports", "WS/../x", "--token", "t", "--gateway", closedGateway())).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("workspace id:").doesNotContain("cannot reach");
        assertThat(run("ports")).as("no workspace").isEqualTo(ExitCode.USAGE);
    }

    @Test
    void portsSaysWhenTheGatewayCannotBeReached() throws IOException {
        final String gateway = closedGateway();

        assertThat(run("ports", "ws42", "--gateway", gateway, "--token", "t")).isEqualTo(ExitCode.UNREACHABLE);
        assertThat(err.toString()).contains("ports: cannot reach the gateway's admin listener at " + gateway);
    }

    @Test
    void shareWithoutATokenSaysHowToGetOne() throws IOException {
        assertThat(run("share", "ws42", "3000", "--level", "organization", "--gateway", closedGateway())).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("no token").contains("./portcullis token");
    }

    @Test
    void shareRejectsABadLevelOrExpiryBeforeAsking() throws IOException {
        assertThat(run("share", "ws42", "3000", "--level", "wide", "--token", "t", "--gateway", closedGateway())).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("wide (expected one of: owner, users, organization, authenticated, public)");
        assertThat(run("share", "ws42", "3000", "--level", "public", "--expires", "soon", "--token", "t")).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("--expires 'soon'");
    }

    @Test
    void shareRejectsAnAllowedOriginThatIsNotAnOriginBeforeAsking() throws IOException {
        assertThat(run("share", "ws42", "8080", "--level", "owner", "--allow-origin", "https://3000-ws42.ws.example.com/app",
                "--token", "t", "--gateway", closedGateway())).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("origin 'https://3000-ws42.ws.example.com/app': the host has '/'");
    }

    @Test
    void shareWithoutWorkspacePortOrLevelIsAUsageError() {
        assertThat(run("share", "ws42")).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString()).contains("usage: share WORKSPACE PORT --level LEVEL");
    }

    @Test
    void shareExpiresTakesDurationsFromNow() {
        final java.time.Instant before = java.time.Instant.now();
        assertThat(ShareCommand.expiry("8h")).isBetween(before.plusSeconds(8 * 3600), before.plusSeconds(8 * 3600 + 60));
        assertThat(ShareCommand.expiry("2026-12-31T18:00:00Z")).isEqualTo(java.time.Instant.parse("2026-12-31T18:00:00Z"));
    }
}
