package dev.portcullis.agent.workspace;

import dev.portcullis.policy.WorkspaceId;
import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Address;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the workspace runtime asks for. {@code address} is optional: without it the agent picks the
 * lowest free slot. {@code egressMbit} and {@code ingressMbit} 0 mean "the agent's default".
 * {@code weight} is the workspace's share of the host's uplink next to the others' (a workspace of
 * weight 2 gets twice what one of weight 1 gets when both are busy); {@link #DEFAULT_WEIGHT} unless asked.
 */
public record WorkspaceSpec(
        WorkspaceId id, String owner, String org, Optional<Ipv4Address> address, int egressMbit, int ingressMbit,
        int weight) {

    public static final int DEFAULT_WEIGHT = 1;
    /** HTB's quantum is 64 KiB per weight (see UplinkShaper): 100 is 6.4 MiB per round, plenty of range. */
    public static final int MAX_WEIGHT = 100;

    private static final Pattern PRINCIPAL = Pattern.compile("[A-Za-z0-9._@:+-]{1,128}");

    public WorkspaceSpec {
        requireNonNull(id, "id");
        requireNonNull(address, "address");
        checkPrincipal("owner", owner);
        checkPrincipal("org", org);
        if (egressMbit < 0 || egressMbit > 100_000) {
            throw new IllegalArgumentException("egressMbit: " + egressMbit + " (expected: 0-100000, 0 = agent default)");
        }
        if (ingressMbit < 0 || ingressMbit > 100_000) {
            throw new IllegalArgumentException("ingressMbit: " + ingressMbit + " (expected: 0-100000, 0 = agent default)");
        }
        checkWeight(weight);
    }

    /** Ingress and weight at the defaults. */
    public WorkspaceSpec(WorkspaceId id, String owner, String org, Optional<Ipv4Address> address, int egressMbit,
            int ingressMbit) {
        this(id, owner, org, address, egressMbit, ingressMbit, DEFAULT_WEIGHT);
    }

    public static void checkWeight(int weight) {
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 1-" + MAX_WEIGHT
                    + ", the workspace's share of the host's uplink next to the others'; " + DEFAULT_WEIGHT + " when not given)");
        }
    }

    /** Ingress at the agent's default. */
    public WorkspaceSpec(WorkspaceId id, String owner, String org, Optional<Ipv4Address> address, int egressMbit) {
        this(id, owner, org, address, egressMbit, 0);
    }

    private static void checkPrincipal(String field, String value) {
        if (value == null || !PRINCIPAL.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": " + (value == null ? "null" : "'" + value + "'")
                    + " (expected: 1-128 of A-Z, a-z, 0-9 and ._@:+-)");
        }
    }
}
