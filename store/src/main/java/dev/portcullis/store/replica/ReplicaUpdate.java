package dev.portcullis.store.replica;

import java.util.List;

/** What one swap changed: the snapshots on both sides and each record that differs between them. */
public record ReplicaUpdate(ReplicaSnapshot previous, ReplicaSnapshot current, List<RecordChange> changes) {
    public ReplicaUpdate {
        changes = List.copyOf(changes);
    }

    /** The changes after which someone may have lost access. */
    public List<RecordChange> narrowing() {
        return changes.stream().filter(RecordChange::mayNarrowAccess).toList();
    }
}
