package dev.portcullis.store;

import java.time.Duration;

/**
 * The storage under the control plane: keys with revisions, compare-and-swap, leases and watches,
 * with etcd's semantics. Two implementations: {@code EmbeddedStore} (one machine, a file on disk)
 * and {@code EtcdStore}. Values are bytes here; {@link ControlPlaneStore} validates records on top.
 *
 * <p>Every change raises the store's revision by one; a key's {@link KeyValue#modRevision()} is the
 * revision that last changed it. Calls block, so they never belong on an event loop.
 */
public interface KeyValueStore extends AutoCloseable {

    /** Expected revision meaning "whatever is there": no compare-and-swap. */
    long ANY_REVISION = -1;
    /** Expected revision meaning "the key must not exist yet". */
    long ABSENT = 0;

    /** Every key under {@code prefix}, sorted, with the store revision they were read at. */
    KeyRange range(String prefix);

    /**
     * Writes {@code value} when the key's current revision is {@code expectedRevision}.
     *
     * @param leaseId a lease from {@link #grantLease(Duration)} that the key is deleted with, or 0
     * @return the revision of this write
     * @throws ConflictException when the key's revision is not the expected one; nothing is written
     */
    long put(String key, byte[] value, long expectedRevision, long leaseId);

    /**
     * Deletes the key when its current revision is {@code expectedRevision}.
     *
     * @return the store revision after the call (unchanged when the key did not exist)
     * @throws ConflictException when the key's revision is not the expected one; nothing is deleted
     */
    long delete(String key, long expectedRevision);

    /** A lease whose keys are deleted when it is not kept alive for {@code ttl}. */
    long grantLease(Duration ttl);

    /**
     * Restarts the lease's time to live.
     *
     * @throws LeaseLostException when the lease expired or was revoked: its keys are gone
     */
    void keepAlive(long leaseId);

    /** Ends the lease now and deletes its keys; a lease that is already gone is not an error. */
    void revokeLease(long leaseId);

    /**
     * Delivers every change under {@code prefix} from {@code fromRevision} on, in revision order, on
     * one thread. The watch ends on a disconnect or a compaction (the listener is told which); it does
     * not resume by itself, so the caller decides from which revision to watch again.
     */
    Watch watch(String prefix, long fromRevision, WatchListener listener);

    /** Forgets history up to {@code revision}: watches from before it are answered with a compaction. */
    void compact(long revision);

    @Override
    void close();

    /** A running watch. Closing it stops deliveries; the listener hears nothing more. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }
}
