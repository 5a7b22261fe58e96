package dev.portcullis.gateway.fairness;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How the node's bandwidth is shared between workspaces (see docs/fairness.md).
 *
 * @param capacity      what all workspaces share, per direction summed (bytes relayed either way);
 *                      {@link Bandwidth#UNLIMITED} leaves only the caps
 * @param tick          how often demands are measured and budgets refilled
 * @param burst         bytes a flow may send at once before its first refill, and the least a
 *                      flow's budget may hold; it bounds what a new or idle flow gets without waiting
 * @param defaultWeight the weight of a workspace neither it nor its org sets one for
 * @param orgWeights    the weight of every workspace of an org, by org name
 * @param workspaces    per workspace: its org, weight and cap
 */
public record FairnessSettings(Bandwidth capacity, Duration tick, long burst, double defaultWeight,
                               Map<String, Double> orgWeights, Map<String, WorkspacePolicy> workspaces) {
    public static final Duration DEFAULT_TICK = Duration.ofMillis(10);
    public static final long DEFAULT_BURST = 64 * 1024;

    public FairnessSettings {
        requireNonNull(capacity, "capacity");
        requireNonNull(tick, "tick");
        if (tick.compareTo(Duration.ofMillis(1)) < 0 || tick.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("fairness.tick: " + tick.toMillis() + "ms (expected: 1ms-1s)");
        }
        if (burst < 1024) {
            throw new IllegalArgumentException("fairness.burst: " + burst + " bytes (expected: >= 1KiB)");
        }
        checkWeight("fairness.defaultWeight", defaultWeight);
        orgWeights = Map.copyOf(orgWeights);
        orgWeights.forEach((org, weight) -> checkWeight("fairness.orgs." + org + ".weight", weight));
        workspaces = Map.copyOf(workspaces);
        for (Map.Entry<String, WorkspacePolicy> entry : workspaces.entrySet()) {
            Optional<String> org = entry.getValue().org();
            if (org.isPresent() && !orgWeights.containsKey(org.get())) {
                throw new IllegalArgumentException("fairness.workspaces." + entry.getKey() + ".org: '" + org.get()
                        + "' (expected: an org listed under fairness.orgs " + orgWeights.keySet() + ")");
            }
        }
    }

    /** Fairness with {@code capacity} and every default. */
    public static FairnessSettings of(Bandwidth capacity) {
        return new FairnessSettings(capacity, DEFAULT_TICK, DEFAULT_BURST, 1, Map.of(), Map.of());
    }

    static void checkWeight(String key, double weight) {
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException(key + ": " + weight + " (expected: a number > 0; a workspace that must"
                    + " get nothing is stopped, not weighted 0)");
        }
    }

    /** The workspace's own weight, else its org's, else the default. */
    public double weightOf(String workspaceId) {
        WorkspacePolicy policy = workspaces.get(workspaceId);
        if (policy != null && policy.weight().isPresent()) {
            return policy.weight().getAsDouble();
        }
        if (policy != null && policy.org().isPresent()) {
            return orgWeights.get(policy.org().get());
        }
        return defaultWeight;
    }

    /** The workspace's cap in bytes per second, or infinity. */
    public double capOf(String workspaceId) {
        WorkspacePolicy policy = workspaces.get(workspaceId);
        return policy == null ? MaxMinAllocator.NO_CAP
                : policy.cap().map(Bandwidth::bytesPerSecond).orElse(MaxMinAllocator.NO_CAP);
    }

    /** One workspace's place in the sharing: its org (for the org's weight), its own weight, its cap. */
    public record WorkspacePolicy(Optional<String> org, OptionalDouble weight, Optional<Bandwidth> cap) {
        public WorkspacePolicy {
            requireNonNull(org, "org");
            requireNonNull(weight, "weight");
            requireNonNull(cap, "cap");
            weight.ifPresent(w -> checkWeight("weight", w));
        }
    }
}
