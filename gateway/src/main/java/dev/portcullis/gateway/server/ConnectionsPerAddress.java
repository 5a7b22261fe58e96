package dev.portcullis.gateway.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Open client connections per IP address, so one address (a slowloris client, say) cannot hold
 * every connection the gateway accepts. Accepts happen on every event loop at once, hence the
 * concurrent map; an address's entry goes when its last connection closes.
 */
final class ConnectionsPerAddress {
    private final int max;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    ConnectionsPerAddress(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
        }
        this.max = max;
    }

    /** Counts one more connection from {@code address}, unless it already has the most it may. */
    boolean tryOpen(InetAddress address) {
        AtomicBoolean opened = new AtomicBoolean();
        open.compute(address, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            opened.set(true);
            return current + 1;
        });
        return opened.get();
    }

    void closed(InetAddress address) {
        open.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    }
}
