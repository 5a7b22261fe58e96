package dev.portcullis.gateway.store;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessRecords;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyError;
import dev.portcullis.policy.parse.PolicyParser;
import dev.portcullis.store.ConflictException;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreUnavailableException;
import dev.portcullis.store.record.InvalidRecordException;
import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.ShareRecord;
import dev.portcullis.store.record.StoreKeys;
import dev.portcullis.store.record.StoreRecord;
import dev.portcullis.store.replica.StoreReplica;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BiPredicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's records in the shared store: every write is compare-and-swap. The expected
 * revision is the one the admin read ({@code If-Match}); without one, it is the record's revision
 * in the store provided this gateway serves that very record, so a write never silently replaces
 * a change this gateway has not shown yet. After a write the call waits (briefly) until this
 * gateway's replica serves it, so the admin's next call here sees what it wrote.
 * Calls block on the store: they run on the admin API's thread, never on an event loop.
 */
final class StoreAccessRecords implements AccessRecords {
    private static final Logger log = LoggerFactory.getLogger(StoreAccessRecords.class);
    private static final Duration SERVED_WAIT = Duration.ofSeconds(2);

    private final ControlPlaneStore store;
    private final StoreReplica replica;
    private final Supplier<AccessSnapshot> access;
    private final PolicyParser parser = new PolicyParser();

    StoreAccessRecords(ControlPlaneStore store, StoreReplica replica, Supplier<AccessSnapshot> access) {
        this.store = requireNonNull(store, "store");
        this.replica = requireNonNull(replica, "replica");
        this.access = requireNonNull(access, "access");
    }

    @Override
    public AccessSnapshot current() {
        return access.get();
    }

    @Override
    public Optional<Revised<String>> policyText(String org) {
        if (AccessState.problemWithOrg(org) != null) {
            return Optional.empty();
        }
        return read(StoreKeys.policy(org)).flatMap(kv -> decode(kv) instanceof PolicyRecord policy
                ? Optional.of(new Revised<>(policy.document(), kv.modRevision())) : Optional.empty());
    }

    @Override
    public long putPolicy(String org, String source, String text, OptionalLong expected) {
        String problem = AccessState.problemWithOrg(org);
        if (problem != null) {
            throw new InvalidPolicy(List.of(new PolicyError(source, 1, 1, "org", problem)));
        }
        // Parsed here as well as by the store, for errors that name the admin's file and line.
        ParseResult<OrgPolicy> parsed = parser.parsePolicy(source, text);
        if (!(parsed instanceof ParseResult.Success<OrgPolicy>(OrgPolicy policy))) {
            throw new InvalidPolicy(parsed.errors());
        }
        if (!org.equals(policy.org())) {
            throw new InvalidPolicy(List.of(new PolicyError(source, 1, 1, "org", (policy.org() == null ? "missing"
                    : "'" + policy.org() + "'") + " (expected: '" + org + "', the org this policy is applied to)")));
        }
        String key = StoreKeys.policy(org);
        long revision = expected.orElseGet(() -> revisionServed(key, servedPolicyText(org),
                (stored, served) -> stored instanceof PolicyRecord p && p.document().equals(served)));
        try {
            return served(store.putPolicy(org, text, revision));
        } catch (InvalidRecordException e) {
            throw new InvalidPolicy(List.of(new PolicyError(source, 1, 1, "document", e.getMessage())));
        } catch (ConflictException e) {
            throw conflict(e);
        } catch (StoreUnavailableException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean deletePolicy(String org, OptionalLong expected) {
        if (AccessState.problemWithOrg(org) != null) {
            return false;
        }
        String key = StoreKeys.policy(org);
        long revision = expected.orElseGet(() -> revisionServed(key, servedPolicyText(org),
                (stored, served) -> stored instanceof PolicyRecord p && p.document().equals(served)));
        return delete(key, revision, () -> store.deletePolicy(org, revision));
    }

    @Override
    public Map<Integer, Long> shareRevisions(String workspaceId) {
        Map<Integer, Long> revisions = new HashMap<>();
        try {
            for (KeyValue kv : store.keyValues().range(StoreKeys.shares(workspaceId)).entries()) {
                if (decode(kv) instanceof ShareRecord share && share.workspaceId().equals(workspaceId)) {
                    revisions.put(share.port(), kv.modRevision());
                }
            }
        } catch (StoreUnavailableException e) {
            throw unavailable(e);
        }
        return revisions;
    }

    @Override
    public long putShare(WorkspaceId workspaceId, PortShare share, OptionalLong expected) {
        String key = StoreKeys.share(workspaceId.value(), share.port());
        long revision = expected.orElseGet(() -> revisionServed(key, servedShare(workspaceId, share.port()),
                (stored, served) -> stored instanceof ShareRecord s && sameShare(s.share(), served)));
        try {
            return served(store.putShare(workspaceId.value(), share, revision));
        } catch (ConflictException e) {
            throw conflict(e);
        } catch (StoreUnavailableException e) {
            throw unavailable(e);
        }
    }

    @Override
    public boolean deleteShare(WorkspaceId workspaceId, int port, OptionalLong expected) {
        String key = StoreKeys.share(workspaceId.value(), port);
        long revision = expected.orElseGet(() -> revisionServed(key, servedShare(workspaceId, port),
                (stored, served) -> stored instanceof ShareRecord s && sameShare(s.share(), served)));
        return delete(key, revision, () -> store.deleteShare(workspaceId.value(), port, revision));
    }

    private String servedPolicyText(String org) {
        PolicyRecord policy = replica.current().policy(org);
        return policy == null ? null : policy.document();
    }

    private PortShare servedShare(WorkspaceId workspaceId, int port) {
        return replica.current().shares(workspaceId.value()).forPort(port);
    }

    private boolean delete(String key, long revision, Supplier<Long> deletion) {
        if (revision == KeyValueStore.ABSENT) {
            return false; // nothing there, as this gateway and the store agree
        }
        try {
            served(deletion.get());
            return true;
        } catch (ConflictException e) {
            if (e.actualRevision() == KeyValueStore.ABSENT) {
                return false; // someone deleted it first: what the caller wanted is done
            }
            throw conflict(e);
        } catch (StoreUnavailableException e) {
            throw unavailable(e);
        }
    }

    /**
     * The revision to write over when the caller sent none: the stored record's, if it is the one
     * this gateway serves ({@code served}, {@code null} for none); otherwise the caller decided on
     * something out of date, which is a conflict.
     */
    private <T> long revisionServed(String key, T served, BiPredicate<StoreRecord, T> same) {
        Optional<KeyValue> stored = read(key);
        if (stored.isEmpty() && served == null) {
            return KeyValueStore.ABSENT;
        }
        if (stored.isPresent() && served != null && same.test(decode(stored.get()), served)) {
            return stored.get().modRevision();
        }
        long now = stored.map(KeyValue::modRevision).orElse(KeyValueStore.ABSENT);
        throw new Conflict(key + ": changed by someone else since this gateway last served it (it is now "
                + (stored.isEmpty() ? "deleted" : "at revision " + now) + "); nothing was written: read it again and retry",
                now);
    }

    private Optional<KeyValue> read(String key) {
        try {
            // A range is a prefix: shares/ws42/300 would also find shares/ws42/3000.
            return store.keyValues().range(key).entries().stream().filter(kv -> kv.key().equals(key)).findFirst();
        } catch (StoreUnavailableException e) {
            throw unavailable(e);
        }
    }

    private static StoreRecord decode(KeyValue kv) {
        try {
            return RecordCodec.decode(kv.key(), kv.value());
        } catch (InvalidRecordException e) {
            return null; // an invalid record is served as absent, and so never matches what is served
        }
    }

    private long served(long revision) {
        try {
            if (!replica.awaitRevision(revision, SERVED_WAIT)) {
                log.warn("revision {} was written but this gateway does not serve it yet (after {})", revision, SERVED_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return revision;
    }

    private static boolean sameShare(PortShare a, PortShare b) {
        return a.port() == b.port() && a.level() == b.level() && a.users().equals(b.users())
               && a.groups().equals(b.groups()) && Objects.equals(a.expiresAt(), b.expiresAt())
               && a.allowedOrigins().equals(b.allowedOrigins());
    }

    private static Conflict conflict(ConflictException e) {
        return new Conflict(e.getMessage(), e.actualRevision());
    }

    private static Unavailable unavailable(StoreUnavailableException e) {
        return new Unavailable("the store cannot be reached: " + e.getMessage() + "; the change may or may not have been made: read it again, then retry", e);
    }
}
