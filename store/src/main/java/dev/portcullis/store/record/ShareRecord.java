package dev.portcullis.store.record;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.WorkspaceId;

/** What the owner of a workspace chose for one port, in the policy module's model. */
public record ShareRecord(String workspaceId, PortShare share) implements StoreRecord {

    public ShareRecord {
        String problem = WorkspaceId.problemWith(requireNonNull(workspaceId, "workspaceId"));
        if (problem != null) {
            throw new InvalidRecordException(problem);
        }
        requireNonNull(share, "share");
    }

    public int port() {
        return share.port();
    }

    @Override
    public String key() {
        return StoreKeys.share(workspaceId, share.port());
    }
}
