package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

/**
 * A token was not accepted. The message is for humans and never contains the token itself, so it
 * is safe to log and to return to the caller.
 */
public final class TokenRejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RejectionReason reason;

    public TokenRejectedException(RejectionReason reason, String message) {
        this(reason, message, null);
    }

    public TokenRejectedException(RejectionReason reason, String message, Throwable cause) {
        // No stack trace needed for the common case: rejections are expected, not bugs.
        super(requireNonNull(message, "message"), cause, false, cause != null);
        this.reason = requireNonNull(reason, "reason");
    }

    public RejectionReason reason() {
        return reason;
    }

    @Override
    public String toString() {
        return "TokenRejectedException[" + reason.code() + "]: " + getMessage();
    }
}
