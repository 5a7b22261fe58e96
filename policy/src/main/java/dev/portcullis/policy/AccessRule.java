package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

/**
 * An admin's explicit allow or deny for requests that match every condition of {@link #match()}.
 * A matching deny always wins; a matching allow admits a principal the shares would not.
 */
public final class AccessRule {

    public enum Effect { ALLOW, DENY }

    private final String name;
    private final Effect effect;
    private final RuleMatch match;
    private final String description;
    private final String reasonCode;
    private final Decision decision;

    /**
     * @param description why the rule exists, for people; {@code null} when none
     */
    public AccessRule(String name, Effect effect, RuleMatch match, String description) {
        this.name = RuleNames.check(name);
        this.effect = requireNonNull(effect, "effect");
        this.match = requireNonNull(match, "match");
        this.description = description;
        reasonCode = effect == Effect.DENY ? ReasonCodes.denyRule(name) : ReasonCodes.allowRule(name);
        decision = effect == Effect.DENY ? Decision.deny(reasonCode) : Decision.allow(reasonCode);
    }

    public String name() {
        return name;
    }

    public Effect effect() {
        return effect;
    }

    public RuleMatch match() {
        return match;
    }

    public String description() {
        return description;
    }

    /** {@code deny-rule:<name>} or {@code allow-rule:<name>}, built once. */
    public String reasonCode() {
        return reasonCode;
    }

    /** The decision this rule makes on its own, built once. */
    Decision decision() {
        return decision;
    }

    @Override
    public String toString() {
        return "AccessRule{" + effect + ' ' + name + ' ' + match + '}';
    }
}
