package dev.portcullis.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.portcullis.store.ConflictException;
import dev.portcullis.store.KeyEvent;
import dev.portcullis.store.KeyRange;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.LeaseLostException;
import dev.portcullis.store.StoreUnavailableException;
import dev.portcullis.store.WatchListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store on an etcd cluster through jetcd. Compare-and-swap is an etcd transaction on the key's
 * mod revision; leases and watches are etcd's own. jetcd re-creates a failed watch by itself, from
 * a revision it tracks; this class ends the watch on the first error instead and leaves the resume
 * to the caller, who knows exactly which revision it applied last.
 */
public final class EtcdStore implements KeyValueStore {
    private static final Logger log = LoggerFactory.getLogger(EtcdStore.class);

    /**
     * Keys per read when loading a snapshot. A whole table in one answer would pass gRPC's 4 MiB
     * message limit at about 15k routes; pages keep every answer small.
     */
    static final int PAGE_SIZE = 2000;

    private final Client client;
    private final Duration timeout;
    private final int pageSize;
    private final String description;
    private final List<String> endpoints;
    private final SslContext tls;
    private final Optional<EtcdUser> user;

    private EtcdStore(List<String> endpoints, Duration timeout, int pageSize, Optional<EtcdTls> tls,
                      Optional<EtcdUser> user) {
        this.description = "etcd " + String.join(",", endpoints);
        this.endpoints = endpoints;
        this.tls = tls.map(EtcdTls::sslContext).orElse(null);
        this.user = user;
        this.timeout = timeout;
        this.pageSize = pageSize;
        ClientBuilder builder = Client.builder()
                .endpoints(endpoints.toArray(String[]::new))
                // Calls fail within the timeout instead of waiting for a member to come back.
                .connectTimeout(timeout)
                .retryMaxDuration(timeout)
                .keepaliveTime(Duration.ofSeconds(5))
                .keepaliveTimeout(Duration.ofSeconds(3));
        if (this.tls != null) {
            builder.sslContext(this.tls);
        }
        user.ifPresent(account -> {
            if (tls.isEmpty()) {
                log.warn("{}: the etcd password of user '{}' goes over plain http: anyone on the path can read it;"
                        + " use https:// endpoints with store.etcd.tls", description, account.name());
            }
            builder.user(bytes(account.name())).password(bytes(account.password()));
        });
        this.client = builder.build();
    }

    /**
     * @param endpoints client URLs such as {@code http://10.0.0.1:2379}
     * @param timeout how long one call may take before it fails with {@link StoreUnavailableException}
     */
    public static EtcdStore connect(List<String> endpoints, Duration timeout) {
        return connect(endpoints, timeout, Optional.empty(), Optional.empty());
    }

    /**
     * @param tls  TLS for {@code https://} endpoints
     * @param user the user to sign in as when etcd has auth enabled
     */
    public static EtcdStore connect(List<String> endpoints, Duration timeout, Optional<EtcdTls> tls, Optional<EtcdUser> user) {
        return connect(endpoints, timeout, PAGE_SIZE, tls, user);
    }

    /** With {@code pageSize} keys per snapshot read: tests use small pages to cross page ends. */
    static EtcdStore connect(List<String> endpoints, Duration timeout, int pageSize) {
        return connect(endpoints, timeout, pageSize, Optional.empty(), Optional.empty());
    }

    private static EtcdStore connect(List<String> endpoints, Duration timeout, int pageSize, Optional<EtcdTls> tls,
                                     Optional<EtcdUser> user) {
        requireNonNull(endpoints, "endpoints");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints: [] (expected: at least one etcd client URL)");
        }
        return new EtcdStore(List.copyOf(endpoints), requireNonNull(timeout, "timeout"), pageSize,
                requireNonNull(tls, "tls"), requireNonNull(user, "user"));
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    /**
     * Reads in pages, every page after the first at the first one's revision, so the result is one
     * consistent snapshot. If that revision is compacted meanwhile the read fails and is retried.
     */
    @Override
    public KeyRange range(String prefix) {
        ByteSequence end = OptionsUtil.prefixEndOf(bytes(prefix));
        ByteSequence from = bytes(prefix);
        long revision = 0;
        List<KeyValue> entries = new ArrayList<>();
        while (true) {
            // No sort option: etcd answers in key order anyway, and with any sort order set it reads every
            // key to the end of the range for each page and truncates afterwards (100k routes: seconds).
            GetOption.Builder option = GetOption.builder().withRange(end).withLimit(pageSize);
            if (revision != 0) {
                option.withRevision(revision);
            }
            GetResponse page = await(client.getKVClient().get(from, option.build()), "read " + prefix);
            if (revision == 0) {
                revision = page.getHeader().getRevision();
            }
            for (io.etcd.jetcd.KeyValue kv : page.getKvs()) {
                entries.add(new KeyValue(kv.getKey().toString(UTF_8), kv.getValue().getBytes(), kv.getModRevision(), kv.getLease()));
            }
            if (!page.isMore() || page.getKvs().isEmpty()) {
                return new KeyRange(revision, entries);
            }
            // The next page starts right after the last key: the key plus a zero byte.
            byte[] last = page.getKvs().getLast().getKey().getBytes();
            from = ByteSequence.from(java.util.Arrays.copyOf(last, last.length + 1));
        }
    }

    @Override
    public long put(String key, byte[] value, long expectedRevision, long leaseId) {
        ByteSequence k = bytes(key);
        PutOption option = leaseId == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(leaseId).build();
        TxnResponse response;
        try {
            response = await(guarded(k, expectedRevision)
                    .Then(Op.put(k, ByteSequence.from(value), option))
                    .Else(Op.get(k, GetOption.DEFAULT))
                    .commit(), "write " + key);
        } catch (StoreUnavailableException e) {
            if (leaseId != 0 && isNotFound(e)) {
                throw new LeaseLostException(leaseId);
            }
            throw e;
        }
        if (!response.isSucceeded()) {
            throw conflict(key, expectedRevision, response);
        }
        return response.getHeader().getRevision();
    }

    @Override
    public long delete(String key, long expectedRevision) {
        ByteSequence k = bytes(key);
        TxnResponse response = await(guarded(k, expectedRevision)
                .Then(Op.delete(k, DeleteOption.DEFAULT))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit(), "delete " + key);
        if (!response.isSucceeded()) {
            throw conflict(key, expectedRevision, response);
        }
        return response.getHeader().getRevision();
    }

    private io.etcd.jetcd.Txn guarded(ByteSequence key, long expectedRevision) {
        io.etcd.jetcd.Txn txn = client.getKVClient().txn();
        // A key that does not exist has mod revision 0, so ABSENT needs no special case.
        return expectedRevision == ANY_REVISION ? txn
                : txn.If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedRevision)));
    }

    private static ConflictException conflict(String key, long expectedRevision, TxnResponse response) {
        long actual = response.getGetResponses().isEmpty() || response.getGetResponses().get(0).getKvs().isEmpty()
                ? ABSENT : response.getGetResponses().get(0).getKvs().get(0).getModRevision();
        return new ConflictException(key, expectedRevision, actual);
    }

    @Override
    public long grantLease(Duration ttl) {
        // etcd counts lease TTLs in whole seconds.
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        return await(client.getLeaseClient().grant(seconds), "grant a lease").getID();
    }

    @Override
    public void keepAlive(long leaseId) {
        try {
            if (await(client.getLeaseClient().keepAliveOnce(leaseId), "keep lease alive").getTTL() <= 0) {
                throw new LeaseLostException(leaseId);
            }
        } catch (StoreUnavailableException e) {
            if (isNotFound(e)) {
                throw new LeaseLostException(leaseId);
            }
            throw e;
        }
    }

    /** etcd's answer for a lease it does not know: "requested lease not found". */
    private static boolean isNotFound(StoreUnavailableException e) {
        Throwable cause = e.getCause();
        return cause instanceof EtcdException etcd && etcd.getErrorCode() == ErrorCode.NOT_FOUND
               || cause != null && io.grpc.Status.fromThrowable(cause).getCode() == io.grpc.Status.Code.NOT_FOUND;
    }

    @Override
    public void revokeLease(long leaseId) {
        try {
            await(client.getLeaseClient().revoke(leaseId), "revoke a lease");
        } catch (StoreUnavailableException e) {
            if (!isNotFound(e)) {
                throw e;
            }
        }
    }

    @Override
    public void compact(long revision) {
        await(client.getKVClient().compact(revision), "compact");
    }

    @Override
    public KeyValueStore.Watch watch(String prefix, long fromRevision, WatchListener listener) {
        requireNonNull(listener, "listener");
        if (fromRevision < 1) {
            throw new IllegalArgumentException("fromRevision: " + fromRevision + " (expected: >= 1)");
        }
        EtcdWatch watch = new EtcdWatch(listener);
        WatchOption option = WatchOption.builder()
                .isPrefix(true)
                .withRevision(fromRevision)
                .withCreateNotify(true)
                // A member cut off from the leader ends the watch instead of silently serving nothing.
                .withRequireLeader(true)
                .build();
        watch.start(client.getWatchClient().watch(bytes(prefix), option, watch));
        return watch;
    }

    /** Adapts one jetcd watcher: delivers until the first error, then closes it so jetcd does not resume it. */
    private static final class EtcdWatch implements KeyValueStore.Watch, io.etcd.jetcd.Watch.Listener {
        private final WatchListener listener;
        private final AtomicBoolean ended = new AtomicBoolean();
        private final AtomicReference<io.etcd.jetcd.Watch.Watcher> watcher = new AtomicReference<>();

        EtcdWatch(WatchListener listener) {
            this.listener = listener;
        }

        void start(io.etcd.jetcd.Watch.Watcher started) {
            watcher.set(started);
            if (ended.get()) {
                started.close();
            }
        }

        @Override
        public void onNext(WatchResponse response) {
            if (ended.get()) {
                return;
            }
            if (response.isCreatedNotify()) {
                listener.onConnected();
                return;
            }
            List<WatchEvent> events = response.getEvents();
            if (events.isEmpty()) {
                return; // progress notification
            }
            List<KeyEvent> changes = new ArrayList<>(events.size());
            for (WatchEvent event : events) {
                io.etcd.jetcd.KeyValue kv = event.getKeyValue();
                String key = kv.getKey().toString(UTF_8);
                changes.add(event.getEventType() == WatchEvent.EventType.DELETE
                        ? KeyEvent.delete(key, kv.getModRevision())
                        : KeyEvent.put(key, kv.getValue().getBytes(), kv.getModRevision()));
            }
            listener.onEvents(changes);
        }

        @Override
        public void onError(Throwable error) {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            closeWatcher();
            if (error instanceof CompactedException compacted) {
                listener.onCompacted(compacted.getCompactedRevision());
            } else {
                listener.onDisconnected(error);
            }
        }

        @Override
        public void onCompleted() {
            // jetcd calls this when the watcher is closed, by us or after a halt error it already reported.
            if (ended.compareAndSet(false, true)) {
                listener.onDisconnected(new IllegalStateException("the etcd watch stream ended"));
            }
        }

        private void closeWatcher() {
            io.etcd.jetcd.Watch.Watcher current = watcher.get();
            if (current != null) {
                current.close();
            }
        }

        @Override
        public void close() {
            ended.set(true);
            closeWatcher();
        }
    }

    private <T> T await(CompletableFuture<T> future, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            // jetcd waits for a connection until the deadline: a TLS handshake that fails shows only here.
            String tlsProblem = tls == null ? "" : EtcdFailures.tlsProblem(tls, endpoints);
            throw new StoreUnavailableException(description + ": " + what + ": no answer within " + timeout + tlsProblem, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new StoreUnavailableException(description + ": " + what + ": " + cause.getMessage()
                    + EtcdFailures.credentialsProblem(cause, user), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException(description + ": " + what + ": interrupted", e);
        }
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
