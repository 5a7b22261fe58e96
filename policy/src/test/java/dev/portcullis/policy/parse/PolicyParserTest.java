package dev.portcullis.policy.parse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.portcullis.policy.AccessRule;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.Workspace;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PortRange;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;

class PolicyParserTest {

    private static final Clock NOW = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);
    private static final Path EXAMPLES = Path.of("examples");

    private final PolicyParser parser = new PolicyParser(NOW);

    private static final String JSON_POLICY = """
            {
              "apiVersion": "portcullis.dev/v1",
              "kind": "OrgPolicy",
              "org": "acme",
              "sharing": {
                "maxLevel": "public",
                "defaultMaxLevel": "organization",
                "portRules": [
                  {"name": "ssh-and-databases", "ports": [22, 5432], "maxLevel": "owner"},
                  {"name": "web-dev", "ports": ["3000-3999"], "maxLevel": "public"}
                ]
              },
              "rules": [
                {"name": "contractors-db", "effect": "deny",
                 "match": {"groups": ["contractors"], "ports": [5432, "6379"]}}
              ]
            }
            """;

    @Test
    void readsTheExamplePolicyIntoAnImmutableModel() {
        final OrgPolicy policy = parser.parsePolicy(EXAMPLES.resolve("org-policy.yaml")).orElseThrow();

        assertThat(policy.org()).isEqualTo("acme");
        assertThat(policy.sharingEnabled()).isTrue();
        assertThat(policy.maxLevel()).isEqualTo(ShareLevel.PUBLIC);
        assertThat(policy.defaultMaxLevel()).isEqualTo(ShareLevel.ORGANIZATION);
        assertThat(policy.portRules()).hasSize(2);
        assertThat(policy.portRules().get(0).ports()).containsExactly(PortRange.of(22), PortRange.of(5432));
        assertThat(policy.portRules().get(1).ports()).containsExactly(new PortRange(3000, 3999));
        assertThat(policy.rules()).extracting(AccessRule::name, AccessRule::effect).containsExactly(
                org.assertj.core.groups.Tuple.tuple("contractors-db", AccessRule.Effect.DENY),
                org.assertj.core.groups.Tuple.tuple("no-prod-deletes", AccessRule.Effect.DENY),
                org.assertj.core.groups.Tuple.tuple("sre-metrics", AccessRule.Effect.ALLOW));
        assertThat(policy.rules()).allSatisfy(rule ->
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> policy.rules().add(rule))
                        .isInstanceOf(UnsupportedOperationException.class));
    }

    @Test
    void acceptsJson() {
        final OrgPolicy policy = parser.parsePolicy("org.json", JSON_POLICY).orElseThrow();

        assertThat(policy.maxLevel()).isEqualTo(ShareLevel.PUBLIC);
        assertThat(policy.portRules()).extracting(r -> r.maxLevel())
                                      .containsExactly(ShareLevel.OWNER, ShareLevel.PUBLIC);
        assertThat(policy.rules()).singleElement().extracting(AccessRule::reasonCode)
                                  .isEqualTo("deny-rule:contractors-db");
    }

    @Test
    void jsonPolicyDecidesLikeTheSameYamlPolicy() {
        final OrgPolicy json = parser.parsePolicy("org.json", JSON_POLICY).orElseThrow();
        final OrgPolicy yaml = parser.parsePolicy(EXAMPLES.resolve("org-policy.yaml")).orElseThrow();
        final Workspace ws42 = Workspace.builder(WorkspaceId.of("ws42"), "alice").org("acme")
                .shares(PortShares.of(PortShare.of(3000, ShareLevel.PUBLIC), PortShare.of(5432, ShareLevel.PUBLIC),
                                      PortShare.of(8080, ShareLevel.PUBLIC)))
                .build();
        final Principal eve = Principal.builder("eve").org("acme").groups("contractors").build();

        for (int port : new int[] { 3000, 5432, 8080 }) {
            for (Principal principal : List.of(eve, Principal.anonymous())) {
                assertThat(new PolicyEvaluator(json, NOW).evaluate(principal, ws42, port, "GET", "/"))
                        .as("port %d, %s", port, principal)
                        .isEqualTo(new PolicyEvaluator(yaml, NOW).evaluate(principal, ws42, port, "GET", "/"));
            }
        }
        assertThat(new PolicyEvaluator(json, NOW).evaluate(eve, ws42, 5432, "GET", "/"))
                .isEqualTo(Decision.deny("deny-rule:contractors-db"));
    }

    @Test
    void failedParseYieldsNoPolicyOnlyErrors() {
        final ParseResult<OrgPolicy> result = parser.parsePolicy("org.yaml", "apiVersion: x\nkind: OrgPolicy\n");

        assertThat(result).isInstanceOf(ParseResult.Failure.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(result::orElseThrow)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("org.yaml:1:13: apiVersion:")
                .hasMessageContaining("org.yaml:1:1: sharing: missing");
    }

    @Test
    void reportsJsonErrorsWithLineAndColumnToo() {
        final String json = JSON_POLICY.replace("\"maxLevel\": \"public\",", "\"maxLevel\": \"wide\",");
        final List<PolicyError> errors = parser.parsePolicy("org.json", json).errors();
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(6);
            assertThat(e.column()).isEqualTo(17);
            assertThat(e.field()).isEqualTo("sharing.maxLevel");
        });
    }

    @Test
    void reportsJsonSyntaxErrors() {
        final List<PolicyError> errors = parser.parsePolicy("org.json", "{\"apiVersion\": }").errors();
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(1);
            assertThat(e.message()).startsWith("JSON syntax:");
        });
    }

    @Test
    void killSwitchDefaultsToSharingEnabledAndDefaultMaxToTheOrgMax() {
        final OrgPolicy policy = parser.parsePolicy("org.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                sharing:
                  maxLevel: users
                """).orElseThrow();
        assertThat(policy.sharingEnabled()).isTrue();
        assertThat(policy.defaultMaxLevel()).isEqualTo(ShareLevel.USERS);
        assertThat(policy.org()).isNull();
    }

    @Test
    void readsTheKillSwitch() {
        final OrgPolicy policy = parser.parsePolicy("org.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                sharing: {enabled: false, maxLevel: public}
                """).orElseThrow();
        assertThat(policy.sharingEnabled()).isFalse();
    }

    @Test
    void readsTheExampleShares() {
        final SharesFile file = parser.parseShares(EXAMPLES.resolve("shares-ws42.yaml")).orElseThrow();

        assertThat(file.workspace()).isEqualTo(WorkspaceId.of("ws42"));
        assertThat(file.shares().all()).extracting(PortShare::port).containsExactly(3000, 4000, 8080);
        final PortShare named = file.shares().forPort(4000);
        assertThat(named.level()).isEqualTo(ShareLevel.USERS);
        assertThat(named.users()).containsExactly("bob");
        assertThat(named.groups()).containsExactly("reviewers");
        assertThat(named.expiresAt()).isEqualTo(Instant.parse("2099-01-01T00:00:00Z"));
        assertThat(file.shares().forPort(3001)).isNull();
    }

    @Test
    void rejectsSharesWithBadWorkspaceIdAndDuplicatePort() {
        final List<PolicyError> errors = parser.parseShares("s.yaml", """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: WS_42
                shares:
                  - {port: 3000, level: public}
                  - {port: 3000, level: organization}
                  - {port: 8080, level: users}
                """).errors();
        assertThat(errors).extracting(PolicyError::field).containsExactly(
                "workspace", "shares[1].port", "shares[2].level");
        assertThat(errors.get(0).message()).contains("\"WS_42\"", "'W' at index 0");
        assertThat(errors.get(1).message()).contains("already shared at line 5");
        assertThat(errors.get(2).message()).contains("names nobody");
    }

    @Test
    void rejectsExpiryWithoutZone() {
        final List<PolicyError> errors = parser.parseShares("s.yaml", """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: ws42
                shares:
                  - {port: 3000, level: public, expires: "2099-01-01 10:00"}
                """).errors();
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("shares[0].expires");
            assertThat(e.message()).contains("ISO-8601");
        });
    }

    @Test
    void validatePicksTheSchemaFromTheKind() {
        final String shares = """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: ws42
                shares:
                  - {port: 3000, level: wide}
                """;
        assertThat(parser.validate("s.yaml", shares)).singleElement()
                .extracting(PolicyError::field).isEqualTo("shares[0].level");
        assertThat(parser.validate(EXAMPLES.resolve("org-policy.yaml"))).isEmpty();
        assertThat(parser.validate(EXAMPLES.resolve("shares-ws42.yaml"))).isEmpty();
    }

    @Test
    void sharesWrittenAsYamlReadBackEqual() {
        final SharesFile written = new SharesFile(dev.portcullis.policy.WorkspaceId.of("ws42"), dev.portcullis.policy.PortShares.of(
                dev.portcullis.policy.PortShare.of(3000, dev.portcullis.policy.ShareLevel.PUBLIC),
                new dev.portcullis.policy.PortShare(4000, dev.portcullis.policy.ShareLevel.USERS, java.util.Set.of("bob"),
                        java.util.Set.of("reviewers"), java.time.Instant.parse("2099-01-01T00:00:00Z"))));

        final SharesFile read = new PolicyParser().parseShares("ws42.yaml", written.toYaml()).orElseThrow();

        assertThat(read.workspace()).isEqualTo(written.workspace());
        assertThat(read.shares().all()).hasSize(2);
        assertThat(read.shares().forPort(4000).users()).containsExactly("bob");
        assertThat(read.shares().forPort(4000).groups()).containsExactly("reviewers");
        assertThat(read.shares().forPort(4000).expiresAt()).isEqualTo(java.time.Instant.parse("2099-01-01T00:00:00Z"));
        assertThat(read.shares().forPort(3000).level()).isEqualTo(dev.portcullis.policy.ShareLevel.PUBLIC);
    }
}
