package dev.portcullis.agent.workspace;

import dev.portcullis.policy.WorkspaceId;
import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * One workspace in the desired state: what was asked for plus what the agent decided (slot,
 * host-side interface name, rates, 0 = the agent's default; the weight on the host's uplink). This is what is persisted and what
 * reconcile converges to.
 */
public record WorkspaceRecord(WorkspaceId id, String owner, String org, int slot, String hostInterface, int egressMbit,
        int ingressMbit, int weight, Instant createdAt) {

    public WorkspaceRecord {
        requireNonNull(id, "id");
        requireNonNull(owner, "owner");
        requireNonNull(org, "org");
        requireNonNull(hostInterface, "hostInterface");
        requireNonNull(createdAt, "createdAt");
        if (slot < 0) {
            throw new IllegalArgumentException("slot: " + slot + " (expected: >= 0)");
        }
        WorkspaceSpec.checkWeight(weight);
    }

    /** Weight at the default. */
    public WorkspaceRecord(WorkspaceId id, String owner, String org, int slot, String hostInterface, int egressMbit,
            int ingressMbit, Instant createdAt) {
        this(id, owner, org, slot, hostInterface, egressMbit, ingressMbit, WorkspaceSpec.DEFAULT_WEIGHT, createdAt);
    }

    /** Ingress at the agent's default. */
    public WorkspaceRecord(WorkspaceId id, String owner, String org, int slot, String hostInterface, int egressMbit,
            Instant createdAt) {
        this(id, owner, org, slot, hostInterface, egressMbit, 0, createdAt);
    }
}
