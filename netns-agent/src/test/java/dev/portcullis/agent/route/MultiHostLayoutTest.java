package dev.portcullis.agent.route;

import static dev.portcullis.store.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.Fixtures;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.store.etcd.EtcdStore;
import dev.portcullis.store.replica.StoreReplica;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The layout of docs/operations.md on loopback: three etcd members, two hosts whose agents publish
 * routes under their leases, two gateways holding replicas, and an admin writing a share.
 */
class MultiHostLayoutTest {

    private static final Duration TTL = Duration.ofSeconds(2);

    @Test
    void twoHostsTwoGatewaysOneEtcdCluster() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(3);
             StoreRouteSink host1 = new StoreRouteSink(connect(etcd.endpoints()), TTL);
             EtcdStore client1 = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5));
             EtcdStore client2 = EtcdStore.connect(etcd.endpoints().reversed(), Duration.ofSeconds(5));
             StoreReplica gateway1 = replica(client1);
             StoreReplica gateway2 = replica(client2);
             ControlPlaneStore admin = connect(List.of(etcd.endpoint(1)));
             // Closed only at the end (its lease is gone by then, so nothing is revoked): it "dies" below.
             StoreRouteSink host2 = new StoreRouteSink(connect(List.of(etcd.endpoint(2))), TTL)) {
            List<StoreReplica> gateways = List.of(gateway1, gateway2);

            host1.publish(new Route("ws-a", "10.213.0.1", "host-1", "alice", "acme"));
            host2.publish(new Route("ws-b", "10.214.0.1", "host-2", "bob", "acme"));
            awaitAll(gateways, "both workspaces routable on both gateways",
                    g -> g.current().route("ws-a") != null && g.current().route("ws-b") != null);
            assertThat(gateway2.current().route("ws-a").address()).isEqualTo("10.213.0.1");
            assertThat(gateway1.current().route("ws-b").host()).isEqualTo("host-2");

            // An admin shares a port through one gateway's admin API: every gateway enforces it.
            admin.putShare("ws-a", Fixtures.share(3000, ShareLevel.ORGANIZATION), KeyValueStore.ABSENT);
            awaitAll(gateways, "the share on both gateways", g -> g.current().shares("ws-a").forPort(3000) != null);

            // Host 2 dies without a clean shutdown: its lease runs out and its workspace goes everywhere.
            host2.lease().abandon();
            long died = System.nanoTime();
            awaitAll(gateways, "host 2's route to expire", g -> g.current().route("ws-b") == null);
            assertThat(Duration.ofNanos(System.nanoTime() - died)).isLessThan(TTL.plusSeconds(3));

            // Deleting a workspace on host 1 makes both gateways answer 404 for it.
            host1.withdraw("ws-a");
            awaitAll(gateways, "ws-a withdrawn", g -> g.current().route("ws-a") == null);
            assertThat(gateway1.current().routes()).isEmpty();
            assertThat(gateway2.health().ready()).isTrue();
        }
    }

    private static ControlPlaneStore connect(List<String> endpoints) {
        return new ControlPlaneStore(EtcdStore.connect(endpoints, Duration.ofSeconds(5)));
    }

    private static StoreReplica replica(EtcdStore client) {
        return new StoreReplica(client, Duration.ofMillis(200), Clock.systemUTC()).start();
    }

    private static void awaitAll(List<StoreReplica> gateways, String what,
                                 java.util.function.Predicate<StoreReplica> condition) {
        await(what, Duration.ofSeconds(15), () -> gateways.stream().allMatch(condition));
    }
}
