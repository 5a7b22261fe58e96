package dev.portcullis.gateway.store;

import static dev.portcullis.gateway.store.StoreGateways.awaitStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.HostLease;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.store.record.RouteRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long a route an agent writes to etcd takes to be usable on a gateway: from just before the
 * write to the route being in the table the gateway's request path reads. Prints the figure
 * (docs/benchmarks.md quotes it) and fails only when a change is lost or far slower than promised.
 */
class RoutePropagationTest {
    private static final int WARMUP = 100;
    private static final int CHANGES = 500;

    @TempDir
    Path folder;

    @Test
    void aRouteWrittenByAnAgentIsUsableOnTheGatewayWithinMilliseconds() throws Exception {
        EtcdCluster.assumeEtcdInstalled();
        StoreGateways setup = new StoreGateways(folder);
        try (EtcdCluster etcd = EtcdCluster.start(1);
             GatewayFixture gateway = setup.start(folder.resolve("g"), StoreSettings.etcd(etcd.endpoints()));
             ControlPlaneStore agent = new ControlPlaneStore(StoreSettings.etcd(etcd.endpoints()).open());
             HostLease lease = agent.grantLease(Duration.ofSeconds(10), lost -> { })) {
            long[] nanos = new long[CHANGES];
            for (int i = 0; i < WARMUP + CHANGES; i++) {
                String workspace = "p" + i;
                long started = System.nanoTime();
                agent.putRoute(RouteRecord.running(workspace, "127.0.0.1", "host-1", "alice", "acme"), lease);
                long deadline = started + Duration.ofSeconds(5).toNanos();
                while (gateway.server().currentRoutes().lookup(workspace) == null) {
                    assertThat(System.nanoTime()).as("route %s not usable after 5 s", workspace).isLessThan(deadline);
                    LockSupport.parkNanos(20_000); // not a spin: etcd and the replica need the two cores
                }
                if (i >= WARMUP) {
                    nanos[i - WARMUP] = System.nanoTime() - started;
                }
            }
            Arrays.sort(nanos);
            double p50 = nanos[CHANGES / 2] / 1e6;
            double p99 = nanos[CHANGES * 99 / 100] / 1e6;
            double max = nanos[CHANGES - 1] / 1e6;
            System.out.printf("ROUTE_PROPAGATION etcd->gateway changes=%d p50=%.2fms p99=%.2fms max=%.2fms%n",
                    CHANGES, p50, p99, max);

            // The last one really serves: through HTTPS, as its owner.
            awaitStatus(gateway, "p" + (WARMUP + CHANGES - 1), gateway.workspacePort(), setup.token("alice", "acme"),
                    status -> status == 200);
            assertThat(p99).as("p99 propagation in ms (the issue's goal is 100 ms)").isLessThan(1000);
        }
    }
}
