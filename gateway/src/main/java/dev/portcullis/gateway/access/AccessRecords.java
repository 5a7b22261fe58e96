package dev.portcullis.gateway.access;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.PolicyError;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where the admin API reads and writes org policies and port shares: this gateway's own state
 * ({@link LocalAccessRecords}) or the store shared by every gateway. Writes to the store are
 * compare-and-swap on a revision: the one the admin read ({@code If-Match}) or, without it, the one
 * this gateway serves, so two admins never overwrite each other silently.
 *
 * <p>Revision {@link #UNVERSIONED} means the records have no revisions (the local state); callers
 * then send no {@code ETag} and any expected revision is ignored.
 */
public interface AccessRecords {
    long UNVERSIONED = 0;

    /** The state decisions are made from now. */
    AccessSnapshot current();

    /** The policy of {@code org} as its admin wrote it, with its revision. */
    Optional<Revised<String>> policyText(String org);

    /**
     * @param source how errors name the input
     * @return the revision written
     * @throws InvalidPolicy when the document does not validate; nothing is written
     * @throws Conflict when the policy changed since {@code expected}
     */
    long putPolicy(String org, String source, String text, OptionalLong expected);

    /** @return whether there was a policy to delete */
    boolean deletePolicy(String org, OptionalLong expected);

    /** The revision of each shared port of {@code workspaceId}. */
    Map<Integer, Long> shareRevisions(String workspaceId);

    long putShare(WorkspaceId workspaceId, PortShare share, OptionalLong expected);

    /** @return whether the port was shared */
    boolean deleteShare(WorkspaceId workspaceId, int port, OptionalLong expected);

    /** A value and the revision that last changed it. */
    record Revised<T>(T value, long revision) {}

    /** The document is not a valid policy: each error with its line. */
    final class InvalidPolicy extends RuntimeException {
        private final List<PolicyError> errors;

        public InvalidPolicy(List<PolicyError> errors) {
            super(errors.size() + " error(s) in the policy", null, false, false);
            this.errors = List.copyOf(errors);
        }

        public List<PolicyError> errors() {
            return errors;
        }
    }

    /** The record changed since the writer read it; nothing was written. */
    final class Conflict extends RuntimeException {
        private final long currentRevision;

        public Conflict(String message, long currentRevision) {
            super(message, null, false, false);
            this.currentRevision = currentRevision;
        }

        /** The record's revision now; 0 when it does not exist. */
        public long currentRevision() {
            return currentRevision;
        }
    }

    /** The records cannot be reached now (the store is down); nothing was written. */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
