package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.PortShare;
import dev.portcullis.store.record.InvalidRecordException;
import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.ShareRecord;
import dev.portcullis.store.record.StoreKeys;
import dev.portcullis.store.record.StoreRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Routes, port shares and org policies on a {@link KeyValueStore}. Every write is validated first
 * (an invalid record is refused with the reason and nothing is written); every read skips and
 * counts invalid records. Shares and policies are written with compare-and-swap on the revision
 * the admin read, routes under the writing host's lease.
 */
public final class ControlPlaneStore implements AutoCloseable {

    private final KeyValueStore store;
    private final Clock clock;
    private final SkippedRecords skipped = new SkippedRecords();

    public ControlPlaneStore(KeyValueStore store) {
        this(store, Clock.systemUTC());
    }

    /** {@code clock} decides whether a share's expiry is in the past when it is written. */
    public ControlPlaneStore(KeyValueStore store, Clock clock) {
        this.store = requireNonNull(store, "store");
        this.clock = requireNonNull(clock, "clock");
    }

    public KeyValueStore keyValues() {
        return store;
    }

    /** Every valid record, at one revision. */
    public StoreSnapshot snapshot() {
        KeyRange range = store.range(StoreKeys.ROOT);
        Map<String, Versioned<RouteRecord>> routes = new HashMap<>();
        Map<String, Versioned<ShareRecord>> shares = new HashMap<>();
        Map<String, Versioned<PolicyRecord>> policies = new HashMap<>();
        for (KeyValue kv : range.entries()) {
            StoreRecord record;
            try {
                record = RecordCodec.decode(kv.key(), kv.value());
            } catch (InvalidRecordException e) {
                skipped.skip(kv.key(), kv.modRevision(), e);
                continue;
            }
            switch (record) {
                case RouteRecord r -> routes.put(r.workspaceId(), new Versioned<>(r, kv.modRevision()));
                case ShareRecord s -> shares.put(s.key(), new Versioned<>(s, kv.modRevision()));
                case PolicyRecord p -> policies.put(p.org(), new Versioned<>(p, kv.modRevision()));
            }
        }
        return new StoreSnapshot(range.revision(), routes, shares, policies);
    }

    /** Invalid records met by {@link #snapshot()}. */
    public long skippedRecords() {
        return skipped.count();
    }

    /** Grants a lease for this host's routes and keeps it alive; see {@link HostLease}. */
    public HostLease grantLease(Duration ttl, Consumer<HostLease> onLost) {
        return HostLease.grant(store, ttl, onLost);
    }

    /** Writes the route bound to {@code lease}: it disappears when the lease does. */
    public long putRoute(RouteRecord route, HostLease lease) {
        requireNonNull(lease, "lease");
        return write(route, KeyValueStore.ANY_REVISION, lease.id());
    }

    /**
     * Writes the route bound to a lease that someone else keeps alive (the gateway's host API: the
     * agent keeps it alive over HTTP), when the route's revision is still {@code expectedRevision}.
     *
     * @throws LeaseLostException when the lease is gone; nothing is written
     * @throws ConflictException when the route changed since it was read; nothing is written
     */
    public long putRoute(RouteRecord route, long leaseId, long expectedRevision) {
        if (leaseId == 0) {
            throw new IllegalArgumentException("leaseId: 0 (expected: a granted lease)");
        }
        return write(route, expectedRevision, leaseId);
    }

    /** Writes a route without a lease (static routes an operator manages by hand). */
    public long putRoute(RouteRecord route, long expectedRevision) {
        return write(route, expectedRevision, 0);
    }

    public long deleteRoute(String workspaceId, long expectedRevision) {
        return store.delete(StoreKeys.route(workspaceId), expectedRevision);
    }

    /**
     * @param expectedRevision the share's revision when the admin read it, {@link KeyValueStore#ABSENT} for a new one
     * @throws InvalidRecordException when the share has already expired
     * @throws ConflictException when someone else changed the share since
     */
    public long putShare(String workspaceId, PortShare share, long expectedRevision) {
        requireNonNull(share, "share");
        if (share.expiresAt() != null && !share.expiresAt().isAfter(clock.instant())) {
            throw new InvalidRecordException("share of port " + share.port() + ": expiresAt " + share.expiresAt()
                    + " is in the past (expected: a future instant, or none)");
        }
        return write(new ShareRecord(workspaceId, share), expectedRevision, 0);
    }

    public long deleteShare(String workspaceId, int port, long expectedRevision) {
        return store.delete(StoreKeys.share(workspaceId, port), expectedRevision);
    }

    /**
     * Validates {@code document} with the policy parser and writes it.
     *
     * @throws InvalidRecordException with every parse error and its line; nothing is written
     * @throws ConflictException when another admin changed the policy since {@code expectedRevision}
     */
    public long putPolicy(String org, String document, long expectedRevision) {
        return write(PolicyRecord.parse(org, document), expectedRevision, 0);
    }

    public long deletePolicy(String org, long expectedRevision) {
        return store.delete(StoreKeys.policy(org), expectedRevision);
    }

    private long write(StoreRecord record, long expectedRevision, long leaseId) {
        byte[] value = RecordCodec.encode(record);
        // What a reader will decode must be what was validated: refuse anything that does not read back.
        RecordCodec.decode(record.key(), value);
        return store.put(record.key(), value, expectedRevision, leaseId);
    }

    @Override
    public void close() {
        store.close();
    }
}
