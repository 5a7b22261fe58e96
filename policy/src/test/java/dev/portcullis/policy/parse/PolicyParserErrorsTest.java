package dev.portcullis.policy.parse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.portcullis.policy.OrgPolicy;

class PolicyParserErrorsTest {

    private static final Clock NOW = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);
    private final PolicyParser parser = new PolicyParser(NOW);

    private static final String HEADER = """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            """;

    private List<PolicyError> policyErrors(String yaml) {
        final ParseResult<OrgPolicy> result = parser.parsePolicy("org.yaml", yaml);
        assertThat(result.isSuccess()).as("expected a failure for:\n%s", yaml).isFalse();
        return result.errors();
    }

    @Test
    void rejectsUnknownFieldAtItsKey() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                  maxLevle: owner
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.file()).isEqualTo("org.yaml");
            assertThat(e.line()).isEqualTo(5);
            assertThat(e.column()).isEqualTo(3);
            assertThat(e.field()).isEqualTo("sharing.maxLevle");
            assertThat(e.message()).contains("unknown field").contains("maxLevel", "portRules");
        });
    }

    @Test
    void rejectsPortOutOfRangeWithItsListIndex() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                  portRules:
                    - name: db
                      ports: [22, 70000]
                      maxLevel: owner
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(7);
            assertThat(e.column()).isEqualTo(19);
            assertThat(e.field()).isEqualTo("sharing.portRules[0].ports[1]");
            assertThat(e.message()).isEqualTo("70000 (expected: a port number, 1-65535)");
        });
    }

    @Test
    void rejectsUnknownShareLevelNamingEveryAcceptedOne() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: wide
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.column()).isEqualTo(13);
            assertThat(e.field()).isEqualTo("sharing.maxLevel");
            assertThat(e.message()).isEqualTo("\"wide\" is not a share level "
                                              + "(expected one of: owner, users, organization, authenticated, public)");
        });
    }

    @Test
    void rejectsExpiryInThePast() {
        final ParseResult<SharesFile> result = parser.parseShares("shares.yaml", """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: ws42
                shares:
                  - port: 3000
                    level: organization
                    expires: 2026-11-28T12:00:00Z
                """);
        assertThat(result.errors()).singleElement().satisfies(e -> {
            assertThat(e.file()).isEqualTo("shares.yaml");
            assertThat(e.line()).isEqualTo(7);
            assertThat(e.column()).isEqualTo(14);
            assertThat(e.field()).isEqualTo("shares[0].expires");
            assertThat(e.message()).contains("2026-11-28T12:00:00Z is in the past");
        });
    }

    @Test
    void rejectsEachAllowedOriginThatIsNotExactlyAnOriginAtItsLine() {
        final ParseResult<SharesFile> result = parser.parseShares("shares.yaml", """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: ws42
                shares:
                  - port: 8080
                    level: owner
                    allowedOrigins:
                      - https://3000-ws42.ws.example.com
                      - "null"
                      - https://3000-ws42.ws.example.com/app
                """);
        assertThat(result.errors()).hasSize(2);
        assertThat(result.errors().get(0).line()).isEqualTo(9);
        assertThat(result.errors().get(0).field()).isEqualTo("shares[0].allowedOrigins[1]");
        assertThat(result.errors().get(0).message()).contains("origin 'null'");
        assertThat(result.errors().get(1).line()).isEqualTo(10);
        assertThat(result.errors().get(1).message()).contains("'/'");
    }

    @Test
    void readsAllowedOriginsNormalized() {
        final ParseResult<SharesFile> result = parser.parseShares("shares.yaml", """
                apiVersion: portcullis.dev/v1
                kind: PortShares
                workspace: ws42
                shares:
                  - port: 8080
                    level: owner
                    allowedOrigins: [HTTPS://3000-ws42.ws.example.com:443]
                """);
        assertThat(result.errors()).isEmpty();
        assertThat(result.orElseThrow().shares().forPort(8080).allowedOrigins())
                .containsExactly("https://3000-ws42.ws.example.com");
        assertThat(result.orElseThrow().toYaml()).contains("allowedOrigins").contains("https://3000-ws42.ws.example.com");
    }

    @Test
    void rejectsUnsupportedApiVersion() {
        final List<PolicyError> errors = policyErrors("""
                apiVersion: portcullis.dev/v2
                kind: OrgPolicy
                sharing:
                  maxLevel: public
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(1);
            assertThat(e.column()).isEqualTo(13);
            assertThat(e.field()).isEqualTo("apiVersion");
            assertThat(e.message()).isEqualTo("\"portcullis.dev/v2\" is not supported (expected: portcullis.dev/v1)");
        });
    }

    @Test
    void reportsEveryErrorOfAFileAtOnceInFileOrder() {
        final List<PolicyError> errors = policyErrors("""
                apiVersion: v0
                kind: OrgPolicy
                colour: blue
                sharing:
                  maxLevel: wide
                  portRules:
                    - name: db
                      ports: [70000]
                      maxLevel: owner
                rules:
                  - name: bad-method
                    effect: deny
                    match:
                      methods: [get]
                """);
        assertThat(errors).extracting(PolicyError::line, PolicyError::field).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "apiVersion"),
                org.assertj.core.groups.Tuple.tuple(3, "colour"),
                org.assertj.core.groups.Tuple.tuple(5, "sharing.maxLevel"),
                org.assertj.core.groups.Tuple.tuple(8, "sharing.portRules[0].ports[0]"),
                org.assertj.core.groups.Tuple.tuple(14, "rules[0].match.methods[0]"));
    }

    @Test
    void reportsMissingRequiredFieldAtItsParent() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  enabled: true
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.field()).isEqualTo("sharing.maxLevel");
            assertThat(e.message()).contains("required");
        });
    }

    @Test
    void rejectsDuplicateKeysInsteadOfPickingOne() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: owner
                  maxLevel: public
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(5);
            assertThat(e.field()).isEqualTo("sharing.maxLevel");
            assertThat(e.message()).contains("duplicate key (first set at line 4)");
        });
    }

    @Test
    void rejectsOverlappingPortRules() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                  portRules:
                    - {name: ssh, ports: [22], maxLevel: owner}
                    - {name: low, ports: ["1-1023"], maxLevel: users}
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(7);
            assertThat(e.field()).isEqualTo("sharing.portRules[1].ports");
            assertThat(e.message()).contains("ssh (22)", "low (1-1023)");
        });
    }

    @Test
    void rejectsBackwardsPortRange() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                  portRules:
                    - {name: web, ports: ["3999-3000"], maxLevel: public}
                """);
        assertThat(errors).singleElement().extracting(PolicyError::message).asString().contains("runs backwards");
    }

    @Test
    void rejectsDuplicateRuleNames() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                rules:
                  - {name: block, effect: deny, match: {users: [mallory]}}
                  - {name: block, effect: deny, match: {users: [trudy]}}
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("rules[1].name");
            assertThat(e.message()).contains("already the name of the rule at line 6");
        });
    }

    @Test
    void rejectsRuleWithoutConditions() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                rules:
                  - {name: everyone, effect: allow, match: {}}
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("rules[0].match");
            assertThat(e.message()).contains("at least one condition");
        });
    }

    @Test
    void rejectsEmptyConditionListBecauseItWouldWidenTheRule() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                rules:
                  - {name: db, effect: deny, match: {groups: [], ports: [5432]}}
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("rules[0].match.groups");
            assertThat(e.message()).contains("at least one value");
        });
    }

    @Test
    void rejectsUnknownEffect() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                rules:
                  - {name: x, effect: block, match: {users: [mallory]}}
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("rules[0].effect");
            assertThat(e.message()).isEqualTo("\"block\" (expected: allow or deny)");
        });
    }

    @Test
    void rejectsPathPrefixThatCouldBeBypassed() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: public
                rules:
                  - {name: x, effect: deny, match: {pathPrefixes: [admin]}}
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("rules[0].match.pathPrefixes[0]");
            assertThat(e.message()).contains("\"admin\"", "starts with '/'");
        });
    }

    @Test
    void rejectsKillSwitchThatIsNotABoolean() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  enabled: "no"
                  maxLevel: public
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("sharing.enabled");
            assertThat(e.message()).isEqualTo("\"no\" (expected: true or false)");
        });
    }

    @Test
    void rejectsYamlOneOneBooleansSoTheKillSwitchIsNeverMisread() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  enabled: no
                  maxLevel: public
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.column()).isEqualTo(12);
            assertThat(e.message()).isEqualTo("no (expected: true or false)");
        });
    }

    @Test
    void reportsYamlSyntaxErrorAtTheOffendingCharacterOnOneLine() {
        final List<PolicyError> errors = policyErrors(HEADER + "sharing:\n\tmaxLevel: public\n");
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.column()).isEqualTo(1);
            assertThat(e.field()).isEmpty();
            assertThat(e.message()).startsWith("YAML syntax:").contains("TAB").doesNotContain("\n");
        });
    }

    @Test
    void rejectsAliasesInsteadOfReadingTheAnchorName() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing:
                  maxLevel: &level public
                  defaultMaxLevel: *level
                """);
        assertThat(errors).first().satisfies(e -> {
            assertThat(e.line()).isEqualTo(5);
            assertThat(e.field()).isEqualTo("sharing.defaultMaxLevel");
            assertThat(e.message()).contains("alias *level");
        });
    }

    @Test
    void rejectsASecondDocument() {
        final List<PolicyError> errors = policyErrors(HEADER + """
                sharing: {maxLevel: public}
                ---
                kind: OrgPolicy
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.line()).as("the first line of the second document").isEqualTo(5);
            assertThat(e.message()).contains("second document");
        });
    }

    @Test
    void rejectsEmptyDocument() {
        assertThat(policyErrors("# nothing yet\n")).singleElement()
                .extracting(PolicyError::message).asString().contains("empty");
    }

    @Test
    void rejectsWrongKind() {
        final List<PolicyError> errors = policyErrors("""
                apiVersion: portcullis.dev/v1
                kind: PortShares
                sharing:
                  maxLevel: public
                """);
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("kind");
            assertThat(e.message()).isEqualTo("\"PortShares\" (expected: OrgPolicy)");
        });
    }

    @Test
    void formatsErrorsLikeACompiler() {
        final PolicyError error = new PolicyError("org.yaml", 7, 19, "sharing.portRules[0].ports[1]",
                                                  "70000 (expected: a port number, 1-65535)");
        assertThat(error).hasToString(
                "org.yaml:7:19: sharing.portRules[0].ports[1]: 70000 (expected: a port number, 1-65535)");
    }
}
