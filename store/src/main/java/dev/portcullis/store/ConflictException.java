package dev.portcullis.store;

/**
 * A compare-and-swap failed: the record changed since the caller read it, so nothing was written.
 * Read the record again, decide again, and retry with its new revision.
 */
public final class ConflictException extends RuntimeException {

    private final String key;
    private final long expectedRevision;
    private final long actualRevision;

    public ConflictException(String key, long expectedRevision, long actualRevision) {
        super(key + ": changed by someone else (expected revision " + describe(expectedRevision) + ", found "
              + describe(actualRevision) + "); nothing was written: read it again and retry");
        this.key = key;
        this.expectedRevision = expectedRevision;
        this.actualRevision = actualRevision;
    }

    private static String describe(long revision) {
        return revision == KeyValueStore.ABSENT ? "none: the record does not exist" : Long.toString(revision);
    }

    public String key() {
        return key;
    }

    public long expectedRevision() {
        return expectedRevision;
    }

    /** The record's revision now, 0 when it does not exist. */
    public long actualRevision() {
        return actualRevision;
    }
}
