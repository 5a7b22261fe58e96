package dev.portcullis.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteGuard;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.HostLease;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.record.RouteRecord;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 item 5: a route record in the store (written by any host, or forged by anyone who can
 * write to the store) is used only when its address is inside the workspace ranges and not the
 * gateway's own host. A real embedded store and replica, the gateway's own view of them.
 */
class StoreRouteGuardTest {
    @TempDir
    Path folder;

    @Test
    void storeRoutesOutsideTheRangesOrIntoTheHostAreNeverServed() throws Exception {
        List<String> counted = new CopyOnWriteArrayList<>();
        RouteGuard guard = RouteGuard.forHost(List.of(AddressRange.parse("10.213.0.0/16")), Set.of(),
                (source, reason) -> counted.add(source + "/" + reason));
        try (StoreConnection store = StoreConnection.open(StoreSettings.embedded(folder.resolve("store.json")),
                RouteTable.empty(), AccessSettings.DEFAULTS.fallbackPolicy(), Duration.ofSeconds(5), gone -> { }, () -> { },
                guard, new PrometheusRegistry())) {
            ControlPlaneStore writer = store.controlPlane();
            HostLease lease = writer.grantLease(Duration.ofSeconds(30), lost -> { });
            writer.putRoute(RouteRecord.running("outside", "192.0.2.7", "host-1", "alice", "acme"), lease);
            writer.putRoute(RouteRecord.running("loopback", "127.0.0.1", "host-1", "alice", "acme"), lease);
            writer.putRoute(RouteRecord.running("metadata", "169.254.169.254", "host-1", "alice", "acme"), lease);
            writer.putRoute(RouteRecord.running("good", "10.213.0.2", "host-1", "alice", "acme"), lease);

            await().atMost(Duration.ofSeconds(5)).until(() -> store.routes().lookup("good") != null);
            assertThat(store.routes().lookup("outside")).isNull();
            assertThat(store.routes().lookup("loopback")).isNull();
            assertThat(store.routes().lookup("metadata")).isNull();
            assertThat(counted).containsExactlyInAnyOrder("store/outside_ranges", "store/gateway_host", "store/gateway_host");

            // A route that was good and is moved out of the ranges is withdrawn, not kept at its old address.
            writer.putRoute(RouteRecord.running("good", "192.0.2.8", "host-1", "alice", "acme"), lease);
            await().atMost(Duration.ofSeconds(5)).until(() -> store.routes().lookup("good") == null);
        }
    }
}
