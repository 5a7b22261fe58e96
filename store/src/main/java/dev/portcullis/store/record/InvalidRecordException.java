package dev.portcullis.store.record;

/** A record that is not valid: refused on write (nothing written), skipped on read. */
public final class InvalidRecordException extends IllegalArgumentException {
    public InvalidRecordException(String message) {
        super(message);
    }

    public InvalidRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
