package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.portcullis.policy.parse.PolicyParser;

/**
 * One policy, two workspaces, every share level and every rule kind: each row is one behaviour,
 * named in the first column.
 */
class PolicyEvaluatorDecisionTableTest {

    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    static final String POLICY = """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing:
              maxLevel: public
              defaultMaxLevel: organization
              portRules:
                - {name: ssh-and-databases, ports: [22, 5432], maxLevel: owner}
                - {name: web-dev, ports: ["3000-3999"], maxLevel: public}
                - {name: internal-tools, ports: [9000], maxLevel: users}
            rules:
              - name: contractors-db
                effect: deny
                match: {groups: [contractors], ports: [5432, 6379]}
              - name: no-prod-deletes
                effect: deny
                match: {workspaceLabels: {env: prod}, methods: [DELETE]}
              - name: contractor-admin
                effect: deny
                match: {emailDomains: [contractors.example.com], pathPrefixes: [/admin]}
              - name: revoked-clearance
                effect: deny
                match: {claims: {clearance: [revoked, suspended]}}
              - name: sre-metrics
                effect: allow
                match: {groups: [sre], ports: [9090]}
            """;

    static final PortShares SHARES = PortShares.of(
            PortShare.of(3000, ShareLevel.PUBLIC),
            PortShare.of(3001, ShareLevel.AUTHENTICATED),
            PortShare.of(8080, ShareLevel.ORGANIZATION),
            PortShare.of(8081, ShareLevel.PUBLIC),
            new PortShare(4000, ShareLevel.USERS, Set.of("bob"), Set.of("reviewers"), NOW.plusSeconds(60)),
            new PortShare(9000, ShareLevel.ORGANIZATION, Set.of("carol"), Set.of(), null),
            new PortShare(5000, ShareLevel.PUBLIC, Set.of(), Set.of(), NOW),
            PortShare.of(22, ShareLevel.ORGANIZATION),
            PortShare.of(5432, ShareLevel.PUBLIC));

    static final Workspace DEV = Workspace.builder(WorkspaceId.of("ws42"), "alice")
                                          .org("acme").label("env", "dev").shares(SHARES).build();
    static final Workspace PROD = Workspace.builder(WorkspaceId.of("ws43"), "alice")
                                           .org("acme").label("env", "prod").shares(SHARES).build();
    static final Workspace OTHER_ORG = Workspace.builder(WorkspaceId.of("ws44"), "alice")
                                                .org("globex").shares(SHARES).build();

    static final Principal ALICE = Principal.builder("alice").org("acme").build();
    static final Principal BOB = Principal.builder("bob").org("acme").groups("dev").build();
    static final Principal CAROL = Principal.builder("carol").org("acme").groups("reviewers").build();
    static final Principal DAVE = Principal.builder("dave").org("globex").build();
    static final Principal EVE = Principal.builder("eve").org("acme").groups("contractors")
                                          .email("Eve@Contractors.Example.com").build();
    static final Principal SAM = Principal.builder("sam").org("acme").groups("sre").build();
    static final Principal SUSPENDED_SAM = Principal.builder("sam").org("acme").groups("sre")
                                                    .claim("clearance", "suspended").build();
    static final Principal ANONYMOUS = Principal.anonymous();

    static final PolicyEvaluator EVALUATOR =
            new PolicyEvaluator(new PolicyParser(CLOCK).parsePolicy("table.yaml", POLICY).orElseThrow(), CLOCK);

    static Stream<Arguments> table() {
        return Stream.of(
                // behaviour, principal, workspace, port, method, path, allowed, reasons
                row("owner reaches an unshared port", ALICE, DEV, 7000, "GET", "/", true, "owner-match"),
                row("owner reaches an owner-only port", ALICE, DEV, 22, "GET", "/", true, "owner-match"),
                row("public share admits a caller without credential", ANONYMOUS, DEV, 3000, "GET", "/", true,
                    "share-public"),
                row("authenticated share refuses a caller without credential", ANONYMOUS, DEV, 3001, "GET", "/",
                    false, "share-authenticated", "not-authenticated"),
                row("authenticated share admits another org's user", DAVE, DEV, 3001, "GET", "/", true,
                    "share-authenticated"),
                row("org share admits an org member", BOB, DEV, 8080, "GET", "/", true, "share-org"),
                row("org share refuses another org's user", DAVE, DEV, 8080, "GET", "/", false,
                    "share-org", "not-org-member"),
                row("org share refuses a caller without credential", ANONYMOUS, DEV, 8080, "GET", "/", false,
                    "share-org", "not-authenticated"),
                row("default maximum narrows a public share to org members", BOB, DEV, 8081, "GET", "/", true,
                    "share-public", "default-max-org"),
                row("default maximum refuses anonymous on a public share", ANONYMOUS, DEV, 8081, "GET", "/",
                    false, "share-public", "default-max-org", "not-authenticated"),
                row("port rule raises the maximum above the default", ANONYMOUS, DEV, 3000, "GET", "/x", true,
                    "share-public"),
                row("named user is admitted", BOB, DEV, 4000, "GET", "/", true, "share-users"),
                row("member of a named group is admitted", CAROL, DEV, 4000, "GET", "/", true, "share-users"),
                row("user neither named nor in a named group is refused", DAVE, DEV, 4000, "GET", "/", false,
                    "share-users", "not-named"),
                row("port rule lowers an org share to owner", BOB, DEV, 22, "GET", "/", false,
                    "share-org", "port-max-owner:ssh-and-databases", "not-owner"),
                row("port rule lowers a public share to owner", BOB, DEV, 5432, "GET", "/", false,
                    "share-public", "port-max-owner:ssh-and-databases", "not-owner"),
                row("port rule lowered to users admits the named user", CAROL, DEV, 9000, "GET", "/", true,
                    "share-org", "port-max-users:internal-tools"),
                row("port rule lowered to users refuses an unnamed org member", BOB, DEV, 9000, "GET", "/", false,
                    "share-org", "port-max-users:internal-tools", "not-named"),
                row("share expiring now is expired", BOB, DEV, 5000, "GET", "/", false, "share-expired"),
                row("expired share refuses even a public caller", ANONYMOUS, DEV, 5000, "GET", "/", false,
                    "share-expired"),
                row("unshared port is refused", BOB, DEV, 7000, "GET", "/", false, "no-share"),
                row("deny rule on groups and ports leaves other ports alone", EVE, DEV, 3000, "GET", "/", true,
                    "share-public"),
                row("deny rule on groups and ports refuses a contractor", EVE, DEV, 5432, "GET", "/", false,
                    "deny-rule:contractors-db"),
                row("deny rule on labels and methods wins over the owner", ALICE, PROD, 3000, "DELETE", "/", false,
                    "deny-rule:no-prod-deletes"),
                row("deny rule on labels leaves other methods alone", ALICE, PROD, 3000, "GET", "/", true,
                    "owner-match"),
                row("deny rule on email domain and path prefix", EVE, DEV, 3000, "GET", "/admin/users", false,
                    "deny-rule:contractor-admin"),
                row("path prefix matches on segment boundaries only", EVE, DEV, 3000, "GET", "/administrator",
                    true, "share-public"),
                row("every matching deny rule is reported", EVE, PROD, 5432, "DELETE", "/admin", false,
                    "deny-rule:contractors-db", "deny-rule:no-prod-deletes", "deny-rule:contractor-admin"),
                row("allow rule admits without a share", SAM, DEV, 9090, "GET", "/metrics", true,
                    "allow-rule:sre-metrics"),
                row("deny rule on claims wins over an allow rule", SUSPENDED_SAM, DEV, 9090, "GET", "/metrics",
                    false, "deny-rule:revoked-clearance"),
                row("allow rule does not match outside its ports", SAM, DEV, 9091, "GET", "/", false, "no-share"),
                row("non-normalized path is refused when path rules exist", BOB, DEV, 3000, "GET",
                    "/public/../admin", false, "path-not-normalized"),
                row("port outside 1-65535 is refused", ALICE, DEV, 70000, "GET", "/", false, "port-invalid"),
                row("policy of another org refuses even the owner", ALICE, OTHER_ORG, 3000, "GET", "/", false,
                    "policy-org-mismatch"));
    }

    private static Arguments row(String behaviour, Principal principal, Workspace workspace, int port,
                                 String method, String path, boolean allowed, String... reasons) {
        return Arguments.of(behaviour, principal, workspace, port, method, path, allowed, List.of(reasons));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String behaviour, Principal principal, Workspace workspace, int port, String method,
                 String path, boolean allowed, List<String> reasons) {
        final Decision decision = EVALUATOR.evaluate(principal, workspace, port, method, path);

        assertThat(decision.isAllowed()).as("%s: %s", behaviour, decision).isEqualTo(allowed);
        assertThat(decision.reasons()).as(behaviour).containsExactlyElementsOf(reasons);
    }
}
