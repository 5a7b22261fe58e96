package dev.portcullis.store.replica;

import java.time.Instant;

/**
 * For {@code /readyz} and metrics. A replica that is not connected keeps serving its last snapshot;
 * {@code staleSince} says since when changes may have been missed.
 *
 * @param loaded a snapshot has been read at least once
 * @param connected the watch is established: changes arrive as they happen
 * @param staleSince when the connection was lost, or {@code null} while connected
 * @param revision the store revision of the snapshot being served
 * @param skippedRecords invalid records skipped so far
 * @param reloads full snapshot reads after the first (compactions)
 * @param reconnects watches started again after a disconnect
 */
public record ReplicaHealth(boolean loaded, boolean connected, Instant staleSince, long revision,
                            long skippedRecords, long reloads, long reconnects) {

    /** Serving current data: loaded and watching. */
    public boolean ready() {
        return loaded && connected;
    }
}
