package dev.portcullis.policy.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ReasonCodes;
import dev.portcullis.policy.RequestPaths;
import dev.portcullis.policy.Workspace;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.PolicyParser;
import java.nio.charset.StandardCharsets;

/**
 * Path normalisation under arbitrary input: it never throws, it is idempotent, what it decides
 * holds none of the refused forms, and the evaluator accepts the decided path as the one it decides
 * on (it never answers {@code path-not-normalized} for it), so the decided path is the forwarded one.
 */
class RequestPathsFuzzTest {
    private static final OrgPolicy POLICY = new PolicyParser().parsePolicy("fuzz.yaml", """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing: {maxLevel: public}
            rules:
              - {name: no-admin, effect: deny, match: {pathPrefixes: [/admin]}}
            """).orElseThrow();
    private static final PolicyEvaluator EVALUATOR = new PolicyEvaluator(POLICY);
    private static final Workspace WORKSPACE = Workspace.builder(WorkspaceId.of("ws"), "alice").org("acme").build();

    @FuzzTest(maxDuration = "15s")
    void normalFormIsStableAndIsWhatTheEvaluatorDecides(byte[] input) {
        // Latin-1 keeps every byte a character, as the gateway's HTTP decoders hand the path over.
        String raw = new String(input, StandardCharsets.ISO_8859_1);
        RequestPaths.Outcome outcome = EVALUATOR.pathFor(3000, raw);
        if (!(outcome instanceof RequestPaths.Decided decided)) {
            return;
        }
        String path = decided.path();
        assertThat(RequestPaths.normalize(path)).as("normalising %s twice", raw).isEqualTo(decided);
        assertThat(path).startsWith("/").doesNotContain("//").doesNotContain(";").doesNotContain("\\")
                .doesNotContain("/./").doesNotContain("/../").doesNotEndWith("/..").doesNotEndWith("/.");
        assertThat(path.toUpperCase()).doesNotContain("%2F").doesNotContain("%2E").doesNotContain("%5C")
                .doesNotContain("%25");
        Decision decision = EVALUATOR.evaluate(Principal.anonymous(), WORKSPACE, 3000, "GET", path);
        assertThat(decision.reasons()).doesNotContain(ReasonCodes.PATH_NOT_NORMALIZED);
        if (path.toLowerCase().equals("/admin") || path.toLowerCase().startsWith("/admin/")) {
            assertThat(decision.isAllowed()).as("deny rule on /admin for %s", raw).isFalse();
        }
    }
}
