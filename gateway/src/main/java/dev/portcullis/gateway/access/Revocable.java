package dev.portcullis.gateway.access;

import java.net.InetSocketAddress;

/**
 * What a grant keeps open and a revocation ends ({@link OpenGrants}): an HTTP/1.1 connection, a
 * WebSocket tunnel, or one HTTP/2 stream — which is no channel of its own, so that ending it resets
 * the stream and leaves its connection and the connection's other streams alone.
 */
public interface Revocable {
    /**
     * Ends it because the access it ran under ended ({@code reason}: {@code access-withdrawn},
     * {@code token-expired}, {@code workspace-moved}, ...). Called from any thread.
     */
    void revoke(String reason);

    /** The client's address, for the audit log. */
    InetSocketAddress remoteAddress();

    /** Runs {@code whenClosed} once it has closed, for whatever reason; at once if it has. */
    void whenClosed(Runnable whenClosed);
}
