package dev.portcullis.store.etcd;

import static dev.portcullis.store.Fixtures.await;
import static dev.portcullis.store.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreUnavailableException;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.replica.RecordChange;
import dev.portcullis.store.replica.StoreReplica;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What gateways see when etcd itself fails: a restart, and a cluster losing its leader. */
class EtcdFailuresTest {

    /** What one replica told its listeners, in order. */
    private static final class Observed {
        final List<Long> revisions = new CopyOnWriteArrayList<>();
        final List<Integer> seqs = new CopyOnWriteArrayList<>();

        Observed(StoreReplica replica) {
            replica.addListener(update -> {
                revisions.add(update.current().revision());
                for (RecordChange change : update.changes()) {
                    if (change instanceof RecordChange.RouteChange r && r.after() != null) {
                        seqs.add(Integer.parseInt(r.after().labels().get("seq")));
                    }
                }
            });
        }
    }

    @Test
    void replicaServesItsSnapshotWhileEtcdIsDownAndResumesWithoutGapsOrDuplicates() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(1);
             ControlPlaneStore writer = new ControlPlaneStore(EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5)));
             EtcdStore gatewayClient = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(2));
             StoreReplica replica = new StoreReplica(gatewayClient, Duration.ofMillis(200), Clock.systemUTC())) {
            replica.start();
            Observed observed = new Observed(replica);
            await("the replica to connect", Duration.ofSeconds(15), () -> replica.health().ready());
            long last = 0;
            for (int seq = 0; seq < 20; seq++) {
                last = writer.putRoute(route("ws" + seq % 3, seq), KeyValueStore.ANY_REVISION);
            }
            assertThat(replica.awaitRevision(last, Duration.ofSeconds(10))).isTrue();

            etcd.kill(0);

            await("the replica to notice etcd is gone", Duration.ofSeconds(15), () -> !replica.health().connected());
            assertThat(replica.health().staleSince()).isNotNull();
            assertThat(replica.current().route("ws1")).isEqualTo(route("ws1", 19));

            etcd.restart(0);
            for (int seq = 20; seq < 40; seq++) {
                last = writeRetrying(writer, route("ws" + seq % 3, seq));
            }

            assertThat(replica.awaitRevision(last, Duration.ofSeconds(30))).isTrue();
            await("the replica to report itself connected", Duration.ofSeconds(15), () -> replica.health().ready());
            assertThat(observed.seqs).containsExactlyElementsOf(IntStream.range(0, 40).boxed().toList());
            assertThat(observed.revisions).isSorted().doesNotHaveDuplicates();
            assertThat(replica.health().reconnects()).isPositive();
        }
    }

    @Test
    void killingTheLeaderUnderASteadyStreamOfRouteChangesLosesNoChange() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(3);
             ControlPlaneStore writer = new ControlPlaneStore(EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(3)));
             EtcdStore client1 = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(2));
             EtcdStore client2 = EtcdStore.connect(etcd.endpoints().reversed(), Duration.ofSeconds(2));
             StoreReplica gateway1 = new StoreReplica(client1, Duration.ofMillis(200), Clock.systemUTC());
             StoreReplica gateway2 = new StoreReplica(client2, Duration.ofMillis(200), Clock.systemUTC())) {
            Observed seen1 = new Observed(gateway1.start());
            Observed seen2 = new Observed(gateway2.start());
            await("both replicas to connect", Duration.ofSeconds(15), () -> gateway1.health().ready() && gateway2.health().ready());
            Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
            int changes = 300;
            int killAt = 100;
            int killed = -1;
            long last = 0;

            for (int seq = 0; seq < changes; seq++) {
                if (seq == killAt) {
                    killed = etcd.leader();
                    etcd.kill(killed);
                }
                last = Math.max(last, writeRetrying(writer, route("ws" + seq % 10, seq)));
                acknowledged.add(seq);
                Thread.sleep(2); // the writer's pace, so the leader dies in the middle of the changes
            }

            assertThat(killed).isBetween(0, 2);
            assertThat(gateway1.awaitRevision(last, Duration.ofSeconds(30))).isTrue();
            assertThat(gateway2.awaitRevision(last, Duration.ofSeconds(30))).isTrue();
            for (Observed seen : List.of(seen1, seen2)) {
                assertThat(seen.seqs).containsAll(acknowledged);
                assertThat(seen.revisions).isSorted().doesNotHaveDuplicates();
                assertThat(seen.seqs).isSorted();
            }
            Map<String, RouteRecord> stored = writer.snapshot().routes().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().value()));
            assertThat(gateway1.current().routes()).isEqualTo(stored);
            assertThat(gateway2.current().routes()).isEqualTo(stored);
            assertThat(stored.get("ws9")).isEqualTo(route("ws9", changes - 1));
        }
    }

    /**
     * Writes until etcd acknowledges. A write whose answer was lost may have happened, so the same
     * change can land twice; the replicas must still see it once per revision, in order.
     */
    private static long writeRetrying(ControlPlaneStore writer, RouteRecord route) throws InterruptedException {
        List<String> failures = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return writer.putRoute(route, KeyValueStore.ANY_REVISION);
            } catch (StoreUnavailableException e) {
                failures.add(e.getMessage());
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("etcd did not take a write for 30 s: " + failures, e);
                }
                Thread.sleep(100);
            }
        }
    }
}
