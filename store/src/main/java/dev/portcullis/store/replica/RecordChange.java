package dev.portcullis.store.replica;

import dev.portcullis.policy.PortShare;
import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import java.util.Objects;

/**
 * One record that changed between two replica snapshots; {@code before} or {@code after} is
 * {@code null} when the record did not exist (or was invalid) on that side.
 */
public sealed interface RecordChange {

    /**
     * Whether someone admitted before may be refused now, or a connection admitted before may now be
     * relayed to the wrong place (the workspace moved), so the gateway must close the tunnels and
     * keep-alive connections of this workspace (or org) and let them authorize and route again.
     * Conservative: any change that could narrow access says yes.
     */
    boolean mayNarrowAccess();

    record RouteChange(String workspaceId, RouteRecord before, RouteRecord after) implements RecordChange {
        @Override
        public boolean mayNarrowAccess() {
            if (before == null) {
                return false;
            }
            return after == null
                   || after.state() == RouteState.STOPPED
                   || !after.address().equals(before.address())
                   || !after.tlsPorts().equals(before.tlsPorts()) // the same port, now reached another way
                   || !after.owner().equals(before.owner())
                   || !Objects.equals(after.org(), before.org())
                   || !after.labels().equals(before.labels());
        }
    }

    record ShareChange(String workspaceId, int port, PortShare before, PortShare after) implements RecordChange {
        @Override
        public boolean mayNarrowAccess() {
            if (before == null) {
                return false;
            }
            if (after == null) {
                return true;
            }
            return before.level().isWiderThan(after.level())
                   || !after.users().containsAll(before.users())
                   || !after.groups().containsAll(before.groups())
                   || after.expiresAt() != null && (before.expiresAt() == null || after.expiresAt().isBefore(before.expiresAt()));
        }
    }

    /** Any policy change may narrow access somewhere: rules interact, so no cheap proof says otherwise. */
    record PolicyChange(String org, PolicyRecord before, PolicyRecord after) implements RecordChange {
        @Override
        public boolean mayNarrowAccess() {
            return true;
        }
    }
}
