package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.OpenGrants;
import java.net.InetAddress;

/**
 * Which connection or HTTP/2 stream a verdict's grant was last registered for
 * ({@link OpenGrants#register}), where it was routed, and the change count read before: while all of them are the same, the
 * holder is still registered under exactly this grant (only a change, which moves the count first,
 * or an expiry, which closes the holder, removes a registration), so registering it again is
 * skipped. Mutable, but only on the client connection's event loop: the verdict belongs to that
 * connection's record and is acted on there.
 */
final class GrantRegistration {
    private ClientSide holder;
    private long changes;
    private InetAddress address;
    private boolean tls;

    /** Whether {@code holder} was registered under this verdict's grant to {@code address}, with nothing changed since. */
    boolean holds(ClientSide holder, long changes, InetAddress address, boolean tls) {
        return this.holder == holder && this.changes == changes && this.tls == tls && this.address == address;
    }

    void registered(ClientSide holder, long changes, InetAddress address, boolean tls) {
        this.holder = holder;
        this.changes = changes;
        this.address = address;
        this.tls = tls;
    }
}
