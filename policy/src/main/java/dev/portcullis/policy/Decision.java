package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The answer to "may this principal reach this port?": allow or deny, with every reason code that
 * led there (see {@link ReasonCodes}). Immutable; most decisions are built once when a policy is
 * loaded and then returned as-is.
 */
public final class Decision {

    private final boolean allowed;
    private final List<String> reasons;

    private Decision(boolean allowed, List<String> reasons) {
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("reasons: [] (expected: at least one reason code)");
        }
        this.allowed = allowed;
        this.reasons = reasons;
    }

    public static Decision allow(String... reasons) {
        return new Decision(true, List.of(reasons));
    }

    public static Decision deny(String... reasons) {
        return new Decision(false, List.of(reasons));
    }

    static Decision of(boolean allowed, List<String> reasons) {
        return new Decision(allowed, List.copyOf(requireNonNull(reasons, "reasons")));
    }

    public boolean isAllowed() {
        return allowed;
    }

    /**
     * Every reason code, in the order the evaluator met them; the first one decided, except for a
     * share, where the list reads: the share's level, the maximum that narrowed it, what was lacking.
     */
    public List<String> reasons() {
        return reasons;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Decision other && allowed == other.allowed && reasons.equals(other.reasons);
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(allowed) * 31 + reasons.hashCode();
    }

    @Override
    public String toString() {
        return (allowed ? "ALLOW " : "DENY ") + reasons;
    }
}
