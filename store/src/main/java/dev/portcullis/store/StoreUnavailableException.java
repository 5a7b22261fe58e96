package dev.portcullis.store;

/** The store did not answer in time or refused the call; the operation may or may not have happened. */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
