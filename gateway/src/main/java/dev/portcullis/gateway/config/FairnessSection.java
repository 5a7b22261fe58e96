package dev.portcullis.gateway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.config.InvalidKeyException;
import dev.portcullis.gateway.fairness.Bandwidth;
import dev.portcullis.gateway.fairness.FairnessSettings;
import dev.portcullis.policy.WorkspaceId;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The {@code fairness:} section of the gateway config: how the node's bandwidth is shared between
 * workspaces. Values are checked as they are read, so a bad capacity or a zero weight is reported
 * at its line; see docs/configuration.md.
 */
public final class FairnessSection {
    @JsonProperty("capacity")
    public ConfigBandwidth capacity;
    @JsonProperty("tick")
    public GatewayConfigFile.ConfigDuration tick;
    @JsonProperty("burst")
    public GatewayConfigFile.ConfigSize burst;
    @JsonProperty("defaultWeight")
    public ConfigWeight defaultWeight;
    @JsonProperty("orgs")
    public Map<String, Org> orgs;
    @JsonProperty("workspaces")
    public Map<String, Workspace> workspaces;

    public static final class Org {
        @JsonProperty("weight")
        public ConfigWeight weight;
    }

    public static final class Workspace {
        @JsonProperty("org")
        public String org;
        @JsonProperty("weight")
        public ConfigWeight weight;
        @JsonProperty("cap")
        public ConfigBandwidth cap;
    }

    FairnessSettings toSettings() {
        if (capacity == null) {
            throw new InvalidKeyException("fairness.capacity", "missing (this key is required; e.g. 800Mbit or unlimited)");
        }
        Map<String, Double> orgWeights = new LinkedHashMap<>();
        if (orgs != null) {
            orgs.forEach((name, org) -> {
                if (org == null || org.weight == null) {
                    throw new InvalidKeyException("fairness.orgs." + name + ".weight", "missing (this key is required)");
                }
                orgWeights.put(name, org.weight.value());
            });
        }
        Map<String, FairnessSettings.WorkspacePolicy> policies = new LinkedHashMap<>();
        if (workspaces != null) {
            workspaces.forEach((id, workspace) -> {
                try {
                    WorkspaceId.of(id);
                } catch (IllegalArgumentException e) {
                    throw new InvalidKeyException("fairness.workspaces", "'" + id + "' is not a workspace id: " + e.getMessage(), e);
                }
                if (workspace == null) {
                    throw new InvalidKeyException("fairness.workspaces." + id, "empty (expected: org, weight or cap)");
                }
                policies.put(id, new FairnessSettings.WorkspacePolicy(Optional.ofNullable(workspace.org),
                        workspace.weight == null ? OptionalDouble.empty() : OptionalDouble.of(workspace.weight.value()),
                        Optional.ofNullable(workspace.cap).map(ConfigBandwidth::value)));
            });
        }
        return new FairnessSettings(capacity.value(),
                tick == null ? FairnessSettings.DEFAULT_TICK : tick.value(),
                burst == null ? FairnessSettings.DEFAULT_BURST : burst.bytes(),
                defaultWeight == null ? 1 : defaultWeight.value(),
                orgWeights, policies);
    }

    /** {@code 800Mbit}, {@code 1Gbit}, {@code 100MB/s}, {@code 64MiB/s} or {@code unlimited}. */
    public record ConfigBandwidth(Bandwidth value) {
        @JsonCreator
        public static ConfigBandwidth parse(String text) {
            return new ConfigBandwidth(Bandwidth.parse(text));
        }
    }

    /** A weight: a number above zero. Zero is refused here, at its line, not discovered at run time. */
    public record ConfigWeight(double value) {
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public static ConfigWeight parse(BigDecimal number) {
            double value = number.doubleValue();
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(number.toPlainString() + " (expected: a number > 0; a workspace that"
                        + " must get nothing is stopped, not weighted 0)");
            }
            return new ConfigWeight(value);
        }
    }
}
