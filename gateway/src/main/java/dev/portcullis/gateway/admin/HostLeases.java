package dev.portcullis.gateway.admin;

import static java.util.Objects.requireNonNull;

import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.LeaseLostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store leases this gateway granted to workspace hosts, one per host. A host keeps alive,
 * revokes and writes under its own lease only: the lease of another host is, to it, no lease.
 * Kept in memory: after a gateway restart every host's keep-alive is answered "lease gone", and the
 * agent grants a new lease and writes its routes again, as after any lost lease.
 */
final class HostLeases {

    record Lease(String host, long id, Duration ttl) {}

    private final KeyValueStore store;
    private final Map<String, Lease> byHost = new ConcurrentHashMap<>();

    HostLeases(KeyValueStore store) {
        this.store = requireNonNull(store, "store");
    }

    /**
     * A new lease for {@code host}. Its previous lease, if any, is left to run out: routes the agent
     * writes again move to the new one, routes it no longer has go with the old one.
     */
    Lease grant(String host, Duration ttl) {
        Lease lease = new Lease(host, store.grantLease(ttl), ttl);
        byHost.put(host, lease);
        return lease;
    }

    /**
     * The lease {@code id} of {@code host}.
     *
     * @throws LeaseLostException when {@code host} holds no lease {@code id} here
     */
    Lease current(String host, long id) {
        Lease lease = byHost.get(host);
        if (lease == null || lease.id() != id) {
            throw new LeaseLostException(id);
        }
        return lease;
    }

    /** @throws LeaseLostException when the lease is not {@code host}'s or the store let it expire */
    Lease keepAlive(String host, long id) {
        Lease lease = current(host, id);
        try {
            store.keepAlive(id);
        } catch (LeaseLostException e) {
            byHost.remove(host, lease);
            throw e;
        }
        return lease;
    }

    /** The store found the lease gone while writing under it. */
    void forget(Lease lease) {
        byHost.remove(lease.host(), lease);
    }

    /**
     * Ends the lease now: every route written under it leaves the store.
     *
     * @throws LeaseLostException when the lease is not {@code host}'s
     */
    void revoke(String host, long id) {
        Lease lease = current(host, id);
        byHost.remove(host, lease);
        store.revokeLease(id);
    }
}
