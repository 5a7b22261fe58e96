package dev.portcullis.store;

/** The lease expired or was revoked: the keys written under it are gone and must be written again. */
public final class LeaseLostException extends RuntimeException {
    public LeaseLostException(long leaseId) {
        super("lease " + Long.toHexString(leaseId) + " is gone (expired or revoked): its keys were deleted");
    }
}
