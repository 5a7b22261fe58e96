package dev.portcullis.demo.workspace;

/** The workspace network could not be built here; the message says why, for the loopback fallback. */
public final class NamespaceUnavailableException extends Exception {
    NamespaceUnavailableException(String reason) {
        super(reason);
    }

    NamespaceUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
