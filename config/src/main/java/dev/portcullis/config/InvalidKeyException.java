package dev.portcullis.config;

import static java.util.Objects.requireNonNull;

/**
 * A value, or a combination of values, that a config check refuses, said with the key it is about.
 * Checks across keys (and the settings records they build) throw it; the binder turns it into a
 * {@link ConfigProblem} at that key's line without reading the key back out of the message. An
 * {@link IllegalArgumentException}, so code that builds settings directly sees what it always saw:
 * the message is {@code keyPath: reason}.
 */
public class InvalidKeyException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String keyPath;
    private final String reason;

    public InvalidKeyException(String keyPath, String reason) {
        this(keyPath, reason, null);
    }

    public InvalidKeyException(String keyPath, String reason, Throwable cause) {
        super(requireNonNull(keyPath, "keyPath") + ": " + requireNonNull(reason, "reason"), cause);
        this.keyPath = keyPath;
        this.reason = reason;
    }

    /** {@code store.etcd.tls.caFile}; list items as {@code [0]}, or {@code []} when the check does not know which. */
    public String keyPath() {
        return keyPath;
    }

    /** What is wrong and what was expected, without the key. */
    public String reason() {
        return reason;
    }
}
