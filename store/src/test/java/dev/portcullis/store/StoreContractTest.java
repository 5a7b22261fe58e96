package dev.portcullis.store;

import static dev.portcullis.store.Fixtures.POLICY;
import static dev.portcullis.store.Fixtures.await;
import static dev.portcullis.store.Fixtures.route;
import static dev.portcullis.store.Fixtures.share;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.record.InvalidRecordException;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import dev.portcullis.store.record.StoreKeys;
import dev.portcullis.store.replica.RecordChange;
import dev.portcullis.store.replica.ReplicaUpdate;
import dev.portcullis.store.replica.StoreReplica;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every store must do, run against the embedded store and against a real etcd. A subclass
 * only says how to open a store and how short a lease may be.
 */
public abstract class StoreContractTest {

    protected KeyValueStore kv;
    protected ControlPlaneStore store;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** A store with no /portcullis records in it. */
    protected abstract KeyValueStore openStore();

    /** The shortest lease the store grants, to keep lease tests quick. */
    protected abstract Duration shortTtl();

    /** How long after its TTL the store may take to delete an expired lease's keys. */
    protected abstract Duration expiryGrace();

    /**
     * Lets {@code duration} pass for the store's leases. Real time by default (etcd's leases run on the server's
     * clock); a store with an injected ticker moves it instead, so a lease runs out without waiting.
     */
    protected void letTimePass(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }

    @BeforeEach
    void open() {
        kv = openStore();
        store = new ControlPlaneStore(kv);
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
        kv.close();
    }

    protected <T extends AutoCloseable> T closeLater(T closeable) {
        toClose.add(closeable);
        return closeable;
    }

    protected StoreReplica replica(KeyValueStore source) {
        return closeLater(new StoreReplica(source, Duration.ofMillis(100), Clock.systemUTC())).start();
    }

    // ---- records, revisions, compare-and-swap ----

    @Test
    void readsEveryRecordKindBackAtTheRevisionItWasWritten() {
        long routeRev = store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        long shareRev = store.putShare("ws1", share(3000, ShareLevel.USERS, "bob"), KeyValueStore.ABSENT);
        long policyRev = store.putPolicy("acme", POLICY, KeyValueStore.ABSENT);

        StoreSnapshot snapshot = store.snapshot();

        assertThat(routeRev).isLessThan(shareRev).isLessThan(policyRev);
        assertThat(snapshot.revision()).isGreaterThanOrEqualTo(policyRev);
        assertThat(snapshot.routes().get("ws1")).isEqualTo(new Versioned<>(route("ws1"), routeRev));
        Versioned<dev.portcullis.store.record.ShareRecord> share = snapshot.shares().get(StoreKeys.share("ws1", 3000));
        assertThat(share.revision()).isEqualTo(shareRev);
        assertThat(share.value().share().users()).containsExactly("bob");
        assertThat(snapshot.policies().get("acme").value().policy().maxLevel()).isEqualTo(ShareLevel.PUBLIC);
    }

    @Test
    void refusesAStaleRevisionSoTwoAdminsNeverOverwriteEachOther() {
        long read = store.putShare("ws1", share(3000, ShareLevel.ORGANIZATION), KeyValueStore.ABSENT);
        // Both admins read revision `read`; the first one writes.
        store.putShare("ws1", share(3000, ShareLevel.OWNER), read);

        assertThatThrownBy(() -> store.putShare("ws1", share(3000, ShareLevel.PUBLIC), read))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining(StoreKeys.share("ws1", 3000))
                .hasMessageContaining("expected revision " + read)
                .satisfies(e -> assertThat(((ConflictException) e).actualRevision()).isGreaterThan(read));
        assertThat(store.snapshot().shares().get(StoreKeys.share("ws1", 3000)).value().share().level())
                .isEqualTo(ShareLevel.OWNER);
    }

    @Test
    void refusesToCreateARecordThatAlreadyExists() {
        store.putPolicy("acme", POLICY, KeyValueStore.ABSENT);

        assertThatThrownBy(() -> store.putPolicy("acme", POLICY, KeyValueStore.ABSENT))
                .isInstanceOf(ConflictException.class);
    }

    @Test
    void refusesADeleteWithAStaleRevision() {
        long first = store.putPolicy("acme", POLICY, KeyValueStore.ABSENT);
        long second = store.putPolicy("acme", POLICY, first);

        assertThatThrownBy(() -> store.deletePolicy("acme", first)).isInstanceOf(ConflictException.class);
        assertThat(store.snapshot().policies()).containsKey("acme");
        store.deletePolicy("acme", second);
        assertThat(store.snapshot().policies()).doesNotContainKey("acme");
    }

    // ---- validation on write ----

    @Test
    void refusesARouteWithAHostNameForAddressAndWritesNothing() {
        long before = kv.range(StoreKeys.ROOT).revision();

        assertThatThrownBy(() -> store.putRoute(RouteRecord.running("ws1", "ws1.internal", "host-1", "alice", "acme"),
                KeyValueStore.ANY_REVISION))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("address: 'ws1.internal'");
        assertThat(kv.range(StoreKeys.ROOT).entries()).isEmpty();
        assertThat(kv.range(StoreKeys.ROOT).revision()).isEqualTo(before);
    }

    @Test
    void refusesAPolicyWithParseErrorsNamingTheLineAndWritesNothing() {
        String broken = POLICY.replace("maxLevel: public", "maxLevel: everyone");

        assertThatThrownBy(() -> store.putPolicy("acme", broken, KeyValueStore.ABSENT))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("policy of acme:5:")
                .hasMessageContaining("everyone");
        assertThat(kv.range(StoreKeys.ROOT).entries()).isEmpty();
    }

    @Test
    void refusesAPolicyStoredUnderAnotherOrg() {
        assertThatThrownBy(() -> store.putPolicy("globex", POLICY, KeyValueStore.ABSENT))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("org: acme (expected: globex");
    }

    @Test
    void refusesAShareThatHasAlreadyExpired() {
        PortShare expired = new PortShare(3000, ShareLevel.USERS, Set.of("bob"), Set.of(), Instant.now().minusSeconds(1));

        assertThatThrownBy(() -> store.putShare("ws1", expired, KeyValueStore.ABSENT))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("in the past");
    }

    // ---- validation on read ----

    @Test
    void skipsCorruptAndUnknownVersionRecordsAndCountsThem() {
        store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        kv.put(StoreKeys.route("ws2"), "{not json".getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);
        kv.put(StoreKeys.route("ws3"), new String(dev.portcullis.store.record.RecordCodec.encode(route("ws3")), UTF_8)
                .replace("\"version\":1", "\"version\":2").getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);
        kv.put(StoreKeys.route("ws4"), dev.portcullis.store.record.RecordCodec.encode(route("ws5")), KeyValueStore.ANY_REVISION, 0);

        StoreSnapshot snapshot = store.snapshot();

        assertThat(snapshot.routes()).containsOnlyKeys("ws1");
        assertThat(store.skippedRecords()).isEqualTo(3);
    }

    @Test
    void replicaSkipsACorruptRecordAndServesTheKeyAsAbsent() throws Exception {
        store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        StoreReplica replica = replica(kv);
        awaitLoaded(replica);

        long corrupt = kv.put(StoreKeys.route("ws1"), new byte[] {(byte) 0xff, 0, 1}, KeyValueStore.ANY_REVISION, 0);
        long next = store.putRoute(route("ws2"), KeyValueStore.ANY_REVISION);

        assertThat(replica.awaitRevision(next, Duration.ofSeconds(10))).isTrue();
        assertThat(replica.current().revision()).isGreaterThanOrEqualTo(corrupt);
        assertThat(replica.current().route("ws1")).isNull();
        assertThat(replica.current().route("ws2")).isEqualTo(route("ws2"));
        assertThat(replica.health().skippedRecords()).isEqualTo(1);
    }

    // ---- leases ----

    @Test
    void deletesTheRoutesOfAWriterThatDiesWithoutRevokingItsLease() throws Exception {
        HostLease lease = store.grantLease(shortTtl(), l -> {});
        store.putRoute(route("ws1"), lease);
        store.putRoute(route("ws2"), lease);
        store.putRoute(route("ws3"), KeyValueStore.ANY_REVISION);

        lease.abandon();
        letTimePass(shortTtl());

        await("the dead writer's routes to expire", expiryGrace(),
                () -> store.snapshot().routes().keySet().equals(Set.of("ws3")));
    }

    @Test
    void keepsRoutesWhileTheLeaseIsKeptAlive() throws Exception {
        HostLease lease = closeLater(store.grantLease(shortTtl(), l -> {}));
        store.putRoute(route("ws1"), lease);

        Thread.sleep(shortTtl().multipliedBy(2).plus(expiryGrace()).toMillis());

        assertThat(store.snapshot().routes()).containsOnlyKeys("ws1");
    }

    @Test
    void revokingTheLeaseOnCleanShutdownDeletesItsRoutesAtOnce() {
        HostLease lease = store.grantLease(Duration.ofSeconds(30), l -> {});
        store.putRoute(route("ws1"), lease);

        lease.close();

        assertThat(store.snapshot().routes()).isEmpty();
    }

    @Test
    void refusesAWriteUnderALeaseThatIsGone() {
        HostLease lease = store.grantLease(Duration.ofSeconds(30), l -> {});
        lease.close();

        assertThatThrownBy(() -> store.putRoute(route("ws1"), lease)).isInstanceOf(LeaseLostException.class);
    }

    @Test
    void aLeaseTheStoreNoLongerHasIsReportedLostToItsOwner() {
        java.util.concurrent.atomic.AtomicReference<HostLease> lost = new java.util.concurrent.atomic.AtomicReference<>();
        HostLease lease = closeLater(store.grantLease(shortTtl().multipliedBy(3), lost::set));
        store.putRoute(route("ws1"), lease);

        // What an outage longer than the TTL looks like once the host is back: the lease is gone.
        kv.revokeLease(lease.id());

        await("the keep-alive to find the lease gone", shortTtl().multipliedBy(3), () -> lost.get() == lease);
        assertThat(lease.isLost()).isTrue();
        assertThat(store.snapshot().routes()).isEmpty();
        assertThatThrownBy(() -> kv.keepAlive(lease.id())).isInstanceOf(LeaseLostException.class);
    }

    // ---- watches ----

    @Test
    void watchDeliversEveryChangeFromTheRequestedRevisionInOrder() throws Exception {
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            revisions.add(store.putRoute(route("ws" + (i % 3), i), KeyValueStore.ANY_REVISION));
        }
        revisions.add(store.deleteRoute("ws0", KeyValueStore.ANY_REVISION));
        long from = revisions.get(5);
        List<KeyEvent> seen = new CopyOnWriteArrayList<>();
        CountDownLatch all = new CountDownLatch(1);

        closeLater(kv.watch(StoreKeys.ROOT, from, new WatchListener() {
            @Override
            public void onEvents(List<KeyEvent> events) {
                seen.addAll(events);
                if (seen.size() >= revisions.size() - 5) {
                    all.countDown();
                }
            }

            @Override
            public void onCompacted(long compactedRevision) {}

            @Override
            public void onDisconnected(Throwable cause) {}
        }));

        assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).extracting(KeyEvent::revision).containsExactlyElementsOf(revisions.subList(5, revisions.size()));
        assertThat(seen.getLast().type()).isEqualTo(KeyEvent.Type.DELETE);
        assertThat(seen.getFirst().value()).isEqualTo(dev.portcullis.store.record.RecordCodec.encode(route("ws2", 5)));
    }

    @Test
    void watchFromACompactedRevisionIsToldToReload() throws Exception {
        long first = store.putRoute(route("ws1", 1), KeyValueStore.ANY_REVISION);
        long last = store.putRoute(route("ws1", 2), KeyValueStore.ANY_REVISION);
        kv.compact(last);
        CountDownLatch compacted = new CountDownLatch(1);

        closeLater(kv.watch(StoreKeys.ROOT, first, new WatchListener() {
            @Override
            public void onEvents(List<KeyEvent> events) {}

            @Override
            public void onCompacted(long compactedRevision) {
                compacted.countDown();
            }

            @Override
            public void onDisconnected(Throwable cause) {}
        }));

        assertThat(compacted.await(10, TimeUnit.SECONDS)).isTrue();
    }

    // ---- the replica ----

    @Test
    void replicaFollowsChangesAndFlagsThoseThatNarrowAccess() throws Exception {
        store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        long shareRev = store.putShare("ws1", share(3000, ShareLevel.ORGANIZATION), KeyValueStore.ABSENT);
        StoreReplica replica = replica(kv);
        List<ReplicaUpdate> updates = new CopyOnWriteArrayList<>();
        replica.addListener(updates::add);
        awaitLoaded(replica);
        assertThat(replica.current().shares("ws1").forPort(3000).level()).isEqualTo(ShareLevel.ORGANIZATION);
        updates.clear(); // the first load reported both records as new

        store.putShare("ws1", share(3000, ShareLevel.OWNER), shareRev);
        store.putRoute(route("ws2"), KeyValueStore.ANY_REVISION);
        long last = store.deleteRoute("ws1", KeyValueStore.ANY_REVISION);

        assertThat(replica.awaitRevision(last, Duration.ofSeconds(10))).isTrue();
        assertThat(replica.current().route("ws1")).isNull();
        assertThat(replica.current().route("ws2")).isEqualTo(route("ws2"));
        assertThat(replica.current().shares("ws1").forPort(3000).level()).isEqualTo(ShareLevel.OWNER);
        List<RecordChange> changes = updates.stream().flatMap(u -> u.changes().stream()).toList();
        assertThat(changes).hasSize(3);
        assertThat(changes).filteredOn(RecordChange::mayNarrowAccess).hasSize(2)
                .anySatisfy(c -> assertThat(c).isInstanceOf(RecordChange.ShareChange.class))
                .anySatisfy(c -> assertThat(c).isEqualTo(new RecordChange.RouteChange("ws1", route("ws1"), null)));
    }

    @Test
    void replicaResumesAfterDisconnectsWithoutMissingOrDuplicatingAChange() throws Exception {
        FlakyStore flaky = new FlakyStore(kv);
        StoreReplica replica = replica(flaky);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        replica.addListener(update -> update.changes().forEach(c -> {
            if (c instanceof RecordChange.RouteChange r && r.after() != null) {
                seen.add(Integer.parseInt(r.after().labels().get("seq")));
            }
        }));
        awaitLoaded(replica);

        long last = 0;
        for (int seq = 0; seq < 60; seq++) {
            if (seq % 15 == 7) {
                flaky.cut();
                await("the replica to notice the cut", Duration.ofSeconds(5), () -> !replica.health().connected());
                assertThat(replica.health().staleSince()).isNotNull();
            }
            last = store.putRoute(route("ws" + (seq % 4), seq), KeyValueStore.ANY_REVISION);
            if (seq % 15 == 10) {
                flaky.restore();
                await("the replica to watch again", Duration.ofSeconds(10), () -> replica.health().connected());
            }
        }
        flaky.restore();

        assertThat(replica.awaitRevision(last, Duration.ofSeconds(20))).isTrue();
        assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 60).boxed().toList());
        assertThat(replica.health().reconnects()).isGreaterThanOrEqualTo(4);
        await("the replica to report itself connected", Duration.ofSeconds(10), () -> replica.health().ready());
    }

    @Test
    void replicaStartedWhileTheStoreIsUnreachableLoadsOnceItIsBack() throws Exception {
        long written = store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        FlakyStore flaky = new FlakyStore(kv);
        flaky.cut();
        StoreReplica replica = replica(flaky);

        Awaitility.await("the replica stays unloaded while the store is cut off").during(Duration.ofMillis(300))
                .atMost(Duration.ofSeconds(5)).until(() -> !replica.health().loaded());
        assertThat(replica.health().ready()).isFalse();
        assertThat(replica.health().staleSince()).isNotNull();
        assertThat(replica.current().route("ws1")).isNull();

        flaky.restore();

        assertThat(replica.awaitRevision(written, Duration.ofSeconds(10))).isTrue();
        assertThat(replica.current().route("ws1")).isEqualTo(route("ws1"));
        awaitLoaded(replica);
    }

    @Test
    void replicaReloadsTheSnapshotWhenItsRevisionWasCompacted() throws Exception {
        store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        store.putRoute(route("ws2"), KeyValueStore.ANY_REVISION);
        FlakyStore flaky = new FlakyStore(kv);
        StoreReplica replica = replica(flaky);
        List<RecordChange> changes = new CopyOnWriteArrayList<>();
        replica.addListener(update -> changes.addAll(update.changes()));
        awaitLoaded(replica);
        changes.clear();

        flaky.cut();
        store.deleteRoute("ws1", KeyValueStore.ANY_REVISION);
        store.putRoute(route("ws2", 9), KeyValueStore.ANY_REVISION);
        long last = store.putRoute(route("ws3"), KeyValueStore.ANY_REVISION);
        kv.compact(last);
        flaky.restore();

        assertThat(replica.awaitRevision(last, Duration.ofSeconds(20))).isTrue();
        assertThat(replica.current().routes()).isEqualTo(Map.of("ws2", route("ws2", 9), "ws3", route("ws3")));
        assertThat(replica.health().reloads()).isEqualTo(1);
        assertThat(changes).containsExactlyInAnyOrder(
                new RecordChange.RouteChange("ws1", route("ws1"), null),
                new RecordChange.RouteChange("ws2", route("ws2"), route("ws2", 9)),
                new RecordChange.RouteChange("ws3", null, route("ws3")));
    }

    @Test
    void replicaSnapshotIsImmutableWhileTheNextOneIsSwappedIn() throws Exception {
        store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        StoreReplica replica = replica(kv);
        awaitLoaded(replica);
        var held = replica.current();

        long next = store.putRoute(new RouteRecord("ws1", "10.213.9.9", "host-2", "alice", "acme", Map.of(),
                RouteState.STOPPED, List.of(), List.of()), KeyValueStore.ANY_REVISION);

        assertThat(replica.awaitRevision(next, Duration.ofSeconds(10))).isTrue();
        assertThat(held.route("ws1")).isEqualTo(route("ws1"));
        assertThat(replica.current().route("ws1").state()).isEqualTo(RouteState.STOPPED);
        assertThatThrownBy(() -> held.routes().put("ws9", route("ws9"))).isInstanceOf(UnsupportedOperationException.class);
    }

    protected static void awaitLoaded(StoreReplica replica) {
        await("the replica to load and connect", Duration.ofSeconds(15), () -> replica.health().ready());
    }
}
