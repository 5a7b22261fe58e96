package dev.portcullis.gateway.console;

import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortRule;
import dev.portcullis.policy.ShareLevel;

/**
 * The widest level a share of one port may have under an org's policy, and the rule that sets it, in
 * words: the menu offers the levels up to {@code max} and says why the others are missing.
 */
record ShareCap(ShareLevel max, String why) {

    static ShareCap of(OrgPolicy policy, int port) {
        if (!policy.sharingEnabled()) {
            return new ShareCap(ShareLevel.OWNER, "the org's kill switch is on (sharing.enabled: false): only owners get in");
        }
        ShareLevel max = new PolicyEvaluator(policy).maxLevelOf(port);
        PortRule rule = policy.portRules().stream().filter(r -> r.covers(port)).findFirst().orElse(null);
        if (rule != null && rule.maxLevel() == max) {
            return new ShareCap(max, "port rule '" + rule.name() + "' allows at most " + max.configName() + " on port " + port);
        }
        if (rule == null && policy.defaultMaxLevel() == max && max != policy.maxLevel()) {
            return new ShareCap(max, "ports without a port rule may be shared at most at " + max.configName());
        }
        return new ShareCap(max, "the org maximum (sharing.maxLevel) is " + max.configName());
    }

    /** Whether a share at {@code level} stays within the cap. */
    boolean allows(ShareLevel level) {
        return !level.isWiderThan(max);
    }
}
