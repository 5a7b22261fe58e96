package dev.portcullis.store.replica;

import dev.portcullis.policy.PortShare;
import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RouteRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The changes between two whole snapshots. A reload after a compaction skips the individual
 * events, so listeners are told what differs instead, and still see every narrowing.
 */
final class SnapshotDiff {

    private SnapshotDiff() {}

    /** Every record that differs between two snapshots: what a reload changed. */
    static List<RecordChange> between(ReplicaSnapshot before, ReplicaSnapshot after) {
        List<RecordChange> changes = new ArrayList<>();
        Set<String> workspaces = new HashSet<>(before.routes().keySet());
        workspaces.addAll(after.routes().keySet());
        for (String ws : workspaces) {
            RouteRecord a = before.route(ws);
            RouteRecord b = after.route(ws);
            if (!Objects.equals(a, b)) {
                changes.add(new RecordChange.RouteChange(ws, a, b));
            }
        }
        Set<String> shared = new HashSet<>(before.allShares().keySet());
        shared.addAll(after.allShares().keySet());
        for (String ws : shared) {
            Set<Integer> ports = new HashSet<>();
            before.shares(ws).all().forEach(s -> ports.add(s.port()));
            after.shares(ws).all().forEach(s -> ports.add(s.port()));
            for (int port : ports) {
                PortShare a = before.shares(ws).forPort(port);
                PortShare b = after.shares(ws).forPort(port);
                if (!sameShare(a, b)) {
                    changes.add(new RecordChange.ShareChange(ws, port, a, b));
                }
            }
        }
        Set<String> orgs = new HashSet<>(before.policies().keySet());
        orgs.addAll(after.policies().keySet());
        for (String org : orgs) {
            PolicyRecord a = before.policy(org);
            PolicyRecord b = after.policy(org);
            if (a == null || b == null || !a.document().equals(b.document())) {
                changes.add(new RecordChange.PolicyChange(org, a, b));
            }
        }
        return changes;
    }

    // PortShare has no equals: compare what it holds.
    private static boolean sameShare(PortShare a, PortShare b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.level() == b.level() && a.users().equals(b.users()) && a.groups().equals(b.groups())
               && Objects.equals(a.expiresAt(), b.expiresAt()) && a.allowedOrigins().equals(b.allowedOrigins());
    }

}
