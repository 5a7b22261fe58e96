package dev.portcullis.policy;

import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.ALICE;
import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.ANONYMOUS;
import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.BOB;
import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.CLOCK;
import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.DEV;
import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.SAM;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import dev.portcullis.policy.parse.PolicyParser;

class PolicyEvaluatorTest {

    private static PolicyEvaluator evaluator(String sharing, Clock clock) {
        final String yaml = """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing: %s
                rules:
                  - {name: sre-metrics, effect: allow, match: {groups: [sre], ports: [9090]}}
                """.formatted(sharing);
        return new PolicyEvaluator(new PolicyParser(clock).parsePolicy("p.yaml", yaml).orElseThrow(), clock);
    }

    private static PolicyEvaluator evaluator(String sharing) {
        return evaluator(sharing, CLOCK);
    }

    @Test
    void killSwitchRefusesEveryShare() {
        final PolicyEvaluator off = evaluator("{enabled: false, maxLevel: public}");

        assertThat(off.evaluate(ANONYMOUS, DEV, 3000, "GET", "/")).isEqualTo(Decision.deny("sharing-disabled"));
        assertThat(off.evaluate(BOB, DEV, 8080, "GET", "/")).isEqualTo(Decision.deny("sharing-disabled"));
    }

    @Test
    void killSwitchAlsoRefusesAllowRules() {
        final PolicyEvaluator off = evaluator("{enabled: false, maxLevel: public}");

        assertThat(off.evaluate(SAM, DEV, 9090, "GET", "/")).isEqualTo(Decision.deny("sharing-disabled"));
    }

    @Test
    void killSwitchLeavesTheOwnerIn() {
        final PolicyEvaluator off = evaluator("{enabled: false, maxLevel: public}");

        assertThat(off.evaluate(ALICE, DEV, 3000, "GET", "/")).isEqualTo(Decision.allow("owner-match"));
    }

    @Test
    void loweringTheOrgMaximumNarrowsExistingSharesAtOnce() {
        final PolicyEvaluator wide = evaluator("{maxLevel: public}");
        final PolicyEvaluator narrowed = evaluator("{maxLevel: owner}");

        assertThat(wide.evaluate(ANONYMOUS, DEV, 3000, "GET", "/").isAllowed()).isTrue();
        assertThat(narrowed.evaluate(BOB, DEV, 8080, "GET", "/"))
                .isEqualTo(Decision.deny("share-org", "org-max-owner", "not-owner"));
        assertThat(narrowed.evaluate(ANONYMOUS, DEV, 3000, "GET", "/"))
                .isEqualTo(Decision.deny("share-public", "org-max-owner", "not-authenticated"));
    }

    @Test
    void orgMaximumCapsAPortRuleThatRaisesAboveIt() {
        final PolicyEvaluator evaluator = evaluator("""
                {maxLevel: organization, portRules: [{name: web-dev, ports: ["3000-3999"], maxLevel: public}]}""");

        assertThat(evaluator.maxLevelOf(3000)).isEqualTo(ShareLevel.ORGANIZATION);
        assertThat(evaluator.evaluate(ANONYMOUS, DEV, 3000, "GET", "/"))
                .isEqualTo(Decision.deny("share-public", "org-max-org", "not-authenticated"));
        assertThat(evaluator.evaluate(BOB, DEV, 3000, "GET", "/"))
                .isEqualTo(Decision.allow("share-public", "org-max-org"));
    }

    @Test
    void raisingTheMaximumNeverWidensAShareBeyondWhatTheOwnerChose() {
        final PolicyEvaluator evaluator = evaluator("{maxLevel: public}");

        assertThat(evaluator.evaluate(ANONYMOUS, DEV, 8080, "GET", "/"))
                .isEqualTo(Decision.deny("share-org", "not-authenticated"));
    }

    @Test
    void shareExpiresWhenTheClockPassesItsExpiry() {
        final Clock before = Clock.fixed(CLOCK.instant().plus(Duration.ofSeconds(59)), ZoneOffset.UTC);
        final Clock after = Clock.fixed(CLOCK.instant().plus(Duration.ofSeconds(60)), ZoneOffset.UTC);

        assertThat(evaluator("{maxLevel: public}", before).evaluate(BOB, DEV, 4000, "GET", "/"))
                .isEqualTo(Decision.allow("share-users"));
        assertThat(evaluator("{maxLevel: public}", after).evaluate(BOB, DEV, 4000, "GET", "/"))
                .isEqualTo(Decision.deny("share-expired"));
    }

    @Test
    void pathsAreNotCheckedWhenNoRuleUsesThem() {
        // Apps such as GitLab put %2F in paths; without path rules there is nothing to bypass.
        final PolicyEvaluator evaluator = evaluator("{maxLevel: public}");

        assertThat(evaluator.evaluate(BOB, DEV, 8080, "GET", "/api/v4/projects/group%2Fproject").isAllowed())
                .isTrue();
    }

    @Test
    void returnsDecisionsBuiltAtLoadTime() {
        final PolicyEvaluator evaluator = evaluator("{maxLevel: public}");

        final Decision first = evaluator.evaluate(BOB, DEV, 8080, "GET", "/");
        final Decision second = evaluator.evaluate(BOB, DEV, 8080, "GET", "/other");

        assertThat(second).isSameAs(first);
    }
}
