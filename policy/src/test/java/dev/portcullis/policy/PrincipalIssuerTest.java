package dev.portcullis.policy;

import static dev.portcullis.policy.PolicyEvaluatorDecisionTableTest.CLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.parse.PolicyParser;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A principal is (issuer, subject): names in records, groups and claims, by issuer. */
class PrincipalIssuerTest {

    /** Issuer "a" is bound to acme alone (its home); issuer "b" to globex, and shares acme with "c". */
    private static final IssuerScope A = scope(Set.of("acme"), Set.of("acme"));
    private static final IssuerScope B = scope(Set.of("globex"), Set.of("globex"));

    private static IssuerScope scope(Set<String> bound, Set<String> home) {
        return new IssuerScope() {
            @Override
            public boolean speaksFor(String org) {
                return bound.contains(org);
            }

            @Override
            public boolean isHomeOf(String org) {
                return home.contains(org);
            }
        };
    }

    private static final Workspace ALICES = Workspace.builder(WorkspaceId.of("ws42"), "alice").org("acme")
            .shares(PortShares.of(new PortShare(4000, ShareLevel.USERS, Set.of("bob", "carol@b"), Set.of("reviewers"), null)))
            .build();

    private static final PolicyEvaluator EVALUATOR = new PolicyEvaluator(new PolicyParser(CLOCK).parsePolicy("p.yaml", """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing: {maxLevel: public}
            rules:
              - {name: sre-metrics, effect: allow, match: {groups: [sre], ports: [9090]}}
              - {name: no-mallory, effect: deny, match: {users: [mallory@b]}}
            """).orElseThrow(), CLOCK);

    private static Decision decide(Principal principal, int port) {
        return EVALUATOR.evaluate(principal, ALICES, port, "GET", "/");
    }

    @Test
    void theOwnerWrittenBareIsTheSubjectOfTheOrgsHomeIssuerOnly() {
        assertThat(decide(Principal.builder("alice").issuer("a", A).org("acme").build(), 7000).isAllowed()).isTrue();
        assertThat(decide(Principal.builder("alice").issuer("b", B).build(), 7000))
                .isEqualTo(Decision.deny(ReasonCodes.NO_SHARE));
    }

    @Test
    void aQualifiedNameMatchesSubjectAndIssuerTogether() {
        assertThat(decide(Principal.builder("carol").issuer("b", B).build(), 4000).isAllowed()).isTrue();
        assertThat(decide(Principal.builder("carol").issuer("a", A).org("acme").build(), 4000).isAllowed()).isFalse();
        assertThat(decide(Principal.builder("bob").issuer("a", A).org("acme").build(), 4000).isAllowed()).isTrue();
        assertThat(decide(Principal.builder("bob").issuer("b", B).build(), 4000).isAllowed()).isFalse();
    }

    @Test
    void groupsFromAnIssuerNotBoundToTheOrgDoNotCount() {
        assertThat(decide(Principal.builder("sam").issuer("a", A).org("acme").groups("sre").build(), 9090).isAllowed())
                .isTrue();
        assertThat(decide(Principal.builder("sam").issuer("b", B).groups("sre").build(), 9090).isAllowed()).isFalse();
        assertThat(decide(Principal.builder("rita").issuer("b", B).groups("reviewers").build(), 4000).isAllowed())
                .isFalse();
    }

    @Test
    void aDenyRuleNamingAQualifiedUserHitsOnlyThatIssuersUser() {
        Workspace publicPort = Workspace.builder(WorkspaceId.of("ws43"), "alice").org("acme")
                .shares(PortShares.of(PortShare.of(3000, ShareLevel.PUBLIC))).build();

        assertThat(EVALUATOR.evaluate(Principal.builder("mallory").issuer("b", B).build(), publicPort, 3000, "GET", "/"))
                .isEqualTo(Decision.deny("deny-rule:no-mallory"));
        assertThat(EVALUATOR.evaluate(Principal.builder("mallory").issuer("a", A).build(), publicPort, 3000, "GET", "/")
                .isAllowed()).isTrue();
    }

    @Test
    void aSubjectContainingAtIsNamedOnlyQualified() {
        Principal emailSubject = Principal.builder("alice@example.com").issuer("a", A).build();

        assertThat(emailSubject.isNamedBy("alice@example.com@a", "acme")).isTrue();
        assertThat(emailSubject.isNamedBy("alice@example.com", "acme")).isFalse();
        assertThat(emailSubject.qualifiedId()).isEqualTo("alice@example.com@a");
    }

    @Test
    void aPrincipalWithoutIssuerIsMatchedOnItsSubjectAsBefore() {
        Principal legacy = Principal.builder("bob").build();

        assertThat(legacy.isNamedBy("bob", "acme")).isTrue();
        assertThat(legacy.isNamedBy("bob@a", "acme")).isFalse();
    }
}
