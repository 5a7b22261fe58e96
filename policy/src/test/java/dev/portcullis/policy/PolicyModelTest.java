package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The programmatic model refuses what the parser refuses, so the admin API cannot build a broken policy. */
class PolicyModelTest {

    @Test
    void shareLevelsAreOrderedFromNarrowestToWidest() {
        assertThat(ShareLevel.values()).containsExactly(ShareLevel.OWNER, ShareLevel.USERS,
                ShareLevel.ORGANIZATION, ShareLevel.AUTHENTICATED, ShareLevel.PUBLIC);
        assertThat(ShareLevel.narrowest(ShareLevel.PUBLIC, ShareLevel.USERS)).isEqualTo(ShareLevel.USERS);
        assertThat(ShareLevel.narrowest(ShareLevel.OWNER, ShareLevel.ORGANIZATION)).isEqualTo(ShareLevel.OWNER);
    }

    @Test
    void unknownShareLevelNamesTheAcceptedOnes() {
        assertThatThrownBy(() -> ShareLevel.ofConfigName("wide"))
                .hasMessage("level: wide (expected one of: owner, users, organization, authenticated, public)");
    }

    @Test
    void portOutsideRangeIsRefusedWithTheBadValue() {
        assertThatThrownBy(() -> PortShare.of(70000, ShareLevel.PUBLIC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("port: 70000 (expected: 1-65535)");
    }

    @Test
    void usersShareMustNameSomebody() {
        assertThatThrownBy(() -> new PortShare(3000, ShareLevel.USERS, Set.of(), Set.of(), null))
                .hasMessageContaining("names nobody");
    }

    @Test
    void ownerShareCannotNameOthers() {
        assertThatThrownBy(() -> new PortShare(3000, ShareLevel.OWNER, Set.of("bob"), Set.of(), null))
                .hasMessageContaining("level users or wider");
    }

    @Test
    void portSharesRefuseTwoSharesOfOnePort() {
        assertThatThrownBy(() -> PortShares.of(PortShare.of(3000, ShareLevel.PUBLIC),
                                               PortShare.of(3000, ShareLevel.OWNER)))
                .hasMessageContaining("port 3000 is shared twice");
    }

    @Test
    void portSharesFindTheShareOfAPort() {
        final PortShares shares = PortShares.of(PortShare.of(8080, ShareLevel.PUBLIC),
                                                PortShare.of(22, ShareLevel.OWNER));
        assertThat(shares.forPort(22).level()).isEqualTo(ShareLevel.OWNER);
        assertThat(shares.forPort(8080).level()).isEqualTo(ShareLevel.PUBLIC);
        assertThat(shares.forPort(8081)).isNull();
    }

    @Test
    void policyRefusesOverlappingPortRules() {
        final OrgPolicy.Builder builder = OrgPolicy.builder(ShareLevel.PUBLIC)
                .addPortRule(new PortRule("web", List.of(new PortRange(3000, 3999)), ShareLevel.PUBLIC))
                .addPortRule(new PortRule("grafana", List.of(PortRange.of(3000)), ShareLevel.ORGANIZATION));
        assertThatThrownBy(builder::build).hasMessageContaining("web (3000-3999) and grafana (3000)");
    }

    @Test
    void policyRefusesTwoRulesWithOneName() {
        final RuleMatch match = RuleMatch.builder().users("mallory").build();
        final OrgPolicy.Builder builder = OrgPolicy.builder(ShareLevel.PUBLIC)
                .addRule(new AccessRule("block", AccessRule.Effect.DENY, match, null))
                .addRule(new AccessRule("block", AccessRule.Effect.ALLOW, match, null));
        assertThatThrownBy(builder::build).hasMessageContaining("block is used twice");
    }

    @Test
    void ruleMatchingEverythingIsRefused() {
        assertThatThrownBy(() -> RuleMatch.builder().build()).hasMessageContaining("at least one condition");
    }

    @Test
    void ruleNamesKeepToAGreppableShape() {
        assertThatThrownBy(() -> new PortRule("SSH ports", List.of(PortRange.of(22)), ShareLevel.OWNER))
                .hasMessageContaining("\"SSH ports\"");
    }

    @Test
    void principalEmailDomainIsLowercasedForMatching() {
        final Principal eve = Principal.builder("eve").email("Eve@Contractors.Example.COM").build();
        assertThat(eve.emailDomain()).isEqualTo("contractors.example.com");
        assertThat(RuleMatch.builder().emailDomains("CONTRACTORS.example.com").build()
                            .matches(eve, workspace(), 3000, "GET", "/")).isTrue();
    }

    @Test
    void principalConditionsNeverMatchAnAnonymousCaller() {
        final RuleMatch anyClaim = RuleMatch.builder().claim("employment", "contractor").build();
        assertThat(anyClaim.matches(Principal.anonymous(), workspace(), 3000, "GET", "/")).isFalse();
    }

    @Test
    void portRangeRefusesBackwardsRanges() {
        assertThatThrownBy(() -> new PortRange(4000, 3000)).hasMessage("port range: 4000-3000 (expected: first <= last)");
    }

    @Test
    void shareIsExpiredFromItsExpiryOn() {
        final Instant expiry = Instant.parse("2026-11-29T12:00:00Z");
        final PortShare share = new PortShare(3000, ShareLevel.PUBLIC, Set.of(), Set.of(), expiry);
        assertThat(share.isExpiredAt(expiry.toEpochMilli() - 1)).isFalse();
        assertThat(share.isExpiredAt(expiry.toEpochMilli())).isTrue();
    }

    private static Workspace workspace() {
        return Workspace.builder(WorkspaceId.of("ws42"), "alice").org("acme").build();
    }
}
