package dev.portcullis.store;

import java.util.List;

/**
 * Hears one watch. Calls come one at a time, in revision order. After {@link #onCompacted} or
 * {@link #onDisconnected} nothing more comes: the watch has ended.
 */
public interface WatchListener {

    /** The watch is established: changes from the requested revision on will follow. */
    default void onConnected() {}

    /** Changes in revision order; one call may hold several revisions. */
    void onEvents(List<KeyEvent> events);

    /** The requested revision is older than the store's history: read a fresh snapshot. */
    void onCompacted(long compactedRevision);

    /** The connection to the store was lost; changes after the last delivered one were not seen. */
    void onDisconnected(Throwable cause);
}
