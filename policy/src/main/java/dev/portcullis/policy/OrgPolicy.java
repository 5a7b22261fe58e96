package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An organization's port-sharing policy, as written by its admins. Immutable and always complete:
 * the parser and {@link Builder} only ever produce one that passed every check. Evaluate requests
 * against it with {@link PolicyEvaluator}.
 */
public final class OrgPolicy {

    /** The only {@code apiVersion} this code reads. */
    public static final String API_VERSION = "portcullis.dev/v1";
    public static final String KIND = "OrgPolicy";

    private final String org;
    private final boolean sharingEnabled;
    private final ShareLevel maxLevel;
    private final ShareLevel defaultMaxLevel;
    private final List<PortRule> portRules;
    private final List<AccessRule> rules;

    private OrgPolicy(Builder b) {
        org = b.org;
        sharingEnabled = b.sharingEnabled;
        maxLevel = requireNonNull(b.maxLevel, "maxLevel");
        defaultMaxLevel = b.defaultMaxLevel != null ? b.defaultMaxLevel : maxLevel;
        portRules = List.copyOf(b.portRules);
        rules = List.copyOf(b.rules);
        checkUniqueNames();
        checkNoOverlap();
    }

    public static Builder builder(ShareLevel maxLevel) {
        return new Builder(maxLevel);
    }

    private void checkUniqueNames() {
        final Set<String> names = new HashSet<>();
        for (PortRule rule : portRules) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("port rule name: " + rule.name() + " is used twice (expected: unique)");
            }
        }
        names.clear();
        for (AccessRule rule : rules) {
            if (!names.add(rule.name())) {
                throw new IllegalArgumentException("rule name: " + rule.name() + " is used twice (expected: unique)");
            }
        }
    }

    // Two port rules on one port would make the maximum depend on their order: refused instead.
    private void checkNoOverlap() {
        final String overlap = firstOverlap(portRules);
        if (overlap != null) {
            throw new IllegalArgumentException(overlap);
        }
    }

    /** A message describing the first two port rules that cover a common port, or {@code null}. */
    public static String firstOverlap(List<PortRule> portRules) {
        for (int i = 0; i < portRules.size(); i++) {
            for (int j = i + 1; j < portRules.size(); j++) {
                for (PortRange a : portRules.get(i).ports()) {
                    for (PortRange b : portRules.get(j).ports()) {
                        if (a.overlaps(b)) {
                            return "port rules " + portRules.get(i).name() + " (" + a + ") and "
                                   + portRules.get(j).name() + " (" + b
                                   + ") cover the same ports (expected: each port in at most one port rule)";
                        }
                    }
                }
            }
        }
        return null;
    }

    /** The organization this policy is for, or {@code null} when it applies to any workspace. */
    public String org() {
        return org;
    }

    /** {@code false} when the kill switch is on: no sharing at all, only owners reach their workspaces. */
    public boolean sharingEnabled() {
        return sharingEnabled;
    }

    /** The widest level any share can have in this organization, on any port. */
    public ShareLevel maxLevel() {
        return maxLevel;
    }

    /** The widest level for ports no port rule covers; never wider in effect than {@link #maxLevel()}. */
    public ShareLevel defaultMaxLevel() {
        return defaultMaxLevel;
    }

    public List<PortRule> portRules() {
        return portRules;
    }

    public List<AccessRule> rules() {
        return rules;
    }

    @Override
    public String toString() {
        return "OrgPolicy{org=" + org + ", sharingEnabled=" + sharingEnabled + ", maxLevel=" + maxLevel
               + ", defaultMaxLevel=" + defaultMaxLevel + ", portRules=" + portRules + ", rules=" + rules + '}';
    }

    public static final class Builder {
        private String org;
        private boolean sharingEnabled = true;
        private final ShareLevel maxLevel;
        private ShareLevel defaultMaxLevel;
        private final List<PortRule> portRules = new ArrayList<>();
        private final List<AccessRule> rules = new ArrayList<>();

        private Builder(ShareLevel maxLevel) {
            this.maxLevel = requireNonNull(maxLevel, "maxLevel");
        }

        public Builder org(String org) {
            this.org = requireNonNull(org, "org");
            return this;
        }

        public Builder sharingEnabled(boolean sharingEnabled) {
            this.sharingEnabled = sharingEnabled;
            return this;
        }

        public Builder defaultMaxLevel(ShareLevel defaultMaxLevel) {
            this.defaultMaxLevel = requireNonNull(defaultMaxLevel, "defaultMaxLevel");
            return this;
        }

        public Builder addPortRule(PortRule rule) {
            portRules.add(requireNonNull(rule, "rule"));
            return this;
        }

        public Builder addRule(AccessRule rule) {
            rules.add(requireNonNull(rule, "rule"));
            return this;
        }

        /**
         * @throws IllegalArgumentException when two rules share a name or two port rules overlap
         */
        public OrgPolicy build() {
            return new OrgPolicy(this);
        }
    }
}
