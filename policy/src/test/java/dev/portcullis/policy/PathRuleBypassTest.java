package dev.portcullis.policy;

import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.CLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.parse.PolicyParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The audit's path-rule bypasses, each sent against a deny rule on {@code /admin} and the docs'
 * own allow rule on {@code /metrics}: every one is refused or denied, never allowed.
 */
class PathRuleBypassTest {

    private static final PolicyEvaluator EVALUATOR = new PolicyEvaluator(new PolicyParser(CLOCK).parsePolicy("p.yaml", """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing: {maxLevel: public}
            rules:
              - {name: no-admin, effect: deny, match: {pathPrefixes: [/admin]}}
              - {name: sre-metrics, effect: allow, match: {groups: [sre], ports: [9090], methods: [GET],
                 pathPrefixes: [/metrics]}}
            """).orElseThrow(), CLOCK);

    private static final Workspace WORKSPACE = Workspace.builder(WorkspaceId.of("ws42"), "alice").org("acme")
            .shares(PortShares.of(PortShare.of(3000, ShareLevel.PUBLIC))).build();
    private static final Principal SAM = Principal.builder("sam").org("acme").groups("sre").build();

    @ParameterizedTest
    @ValueSource(strings = { "/admin", "/ADMIN", "/Admin/users", "/admin;x", "/x/..;/admin", "/admin.", "/admin%20",
                             "/%61dmin", "//admin", "/./admin", "/admin/", "/public/../admin", "/admin.json",
                             "/%2e%2e/admin", "/admin%2fx", "/admin\\x" })
    void everySpellingOfAdminIsRefusedOrDenied(String raw) {
        assertThat(outcome(3000, raw, Principal.anonymous())).isNotEqualTo("allowed");
    }

    @Test
    void ordinaryPathsOnThePublicPortStillPass() {
        assertThat(outcome(3000, "/index.html", Principal.anonymous())).isEqualTo("allowed");
        assertThat(outcome(3000, "/administrator", Principal.anonymous())).isEqualTo("allowed");
    }

    @Test
    void metricsAllowRuleDoesNotReachASecretThroughServletPathParameters() {
        assertThat(outcome(9090, "/metrics/..;/secret", SAM)).startsWith("refused");
        assertThat(outcome(9090, "/metrics/../secret", SAM)).isEqualTo("denied [no-share]");
        assertThat(outcome(9090, "/metrics", SAM)).isEqualTo("allowed");
    }

    @Test
    void metricsAllowRuleMatchesItsPathExactly() {
        assertThat(outcome(9090, "/METRICS", SAM)).isEqualTo("denied [no-share]");
    }

    @Test
    void evaluatorDeniesAPathThatWasNotNormalisedOnAPortWithPathRules() {
        assertThat(EVALUATOR.evaluate(SAM, WORKSPACE, 9090, "GET", "/metrics/./x"))
                .isEqualTo(Decision.deny(ReasonCodes.PATH_NOT_NORMALIZED));
    }

    @Test
    void portsWithoutPathRulesKeepTheRawPath() {
        PolicyEvaluator portScoped = new PolicyEvaluator(new PolicyParser(CLOCK).parsePolicy("p.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: {maxLevel: public}
                rules:
                  - {name: no-admin, effect: deny, match: {ports: [3000], pathPrefixes: [/admin]}}
                """).orElseThrow(), CLOCK);

        assertThat(portScoped.pathFor(8080, "/app;jsessionid=1")).isEqualTo(new RequestPaths.Decided("/app;jsessionid=1"));
        assertThat(portScoped.pathFor(3000, "/app;jsessionid=1")).isInstanceOf(RequestPaths.Refused.class);
    }

    /** What the gateway does: normalise (or refuse), then decide on the normal form. */
    private static String outcome(int port, String raw, Principal principal) {
        RequestPaths.Outcome path = EVALUATOR.pathFor(port, raw);
        if (path instanceof RequestPaths.Refused refused) {
            return "refused: " + refused.reason();
        }
        Decision decision = EVALUATOR.evaluate(principal, WORKSPACE, port, "GET", ((RequestPaths.Decided) path).path());
        return decision.isAllowed() ? "allowed" : "denied " + decision.reasons();
    }
}
