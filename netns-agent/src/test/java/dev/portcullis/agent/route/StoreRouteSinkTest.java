package dev.portcullis.agent.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.StoreSnapshot;
import dev.portcullis.store.StoreUnavailableException;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.record.RouteRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreRouteSinkTest {

    @TempDir
    Path dir;

    private static final Route WS1 = new Route("ws1", "10.213.0.1", "host-1", "alice", "acme");
    private static final Route WS2 = new Route("ws2", "10.213.0.3", "host-1", "bob", "");

    @Test
    void publishesRoutesUnderTheHostLeaseAndWithdrawsThem() {
        EmbeddedStore kv = EmbeddedStore.inMemory();
        ControlPlaneStore reader = new ControlPlaneStore(kv);
        try (StoreRouteSink sink = new StoreRouteSink(new ControlPlaneStore(kv), Duration.ofSeconds(30))) {
            sink.publish(WS1);
            sink.publish(WS2);
            sink.withdraw("ws1");

            StoreSnapshot snapshot = reader.snapshot();
            assertThat(snapshot.routes()).containsOnlyKeys("ws2");
            RouteRecord ws2 = snapshot.routes().get("ws2").value();
            assertThat(ws2.address()).isEqualTo("10.213.0.3");
            assertThat(ws2.owner()).isEqualTo("bob");
            assertThat(ws2.org()).as("an agent's empty org is no org").isNull();
            assertThat(kv.range("/portcullis/v1/routes/ws2").entries().getFirst().lease()).isEqualTo(sink.lease().id());
            assertThat(sink.published()).containsOnlyKeys("ws2");
        }
    }

    @Test
    void listeningPortsGoWithTheRouteSurviveARepublishAndNeverBringBackAWithdrawnRoute() {
        EmbeddedStore kv = EmbeddedStore.inMemory();
        ControlPlaneStore reader = new ControlPlaneStore(kv);
        try (StoreRouteSink sink = new StoreRouteSink(new ControlPlaneStore(kv), Duration.ofSeconds(30))) {
            sink.publish(WS1);
            assertThat(reader.snapshot().routes().get("ws1").value().listeningPorts()).as("not scanned yet").isNull();

            assertThat(sink.listening("ws1", new java.util.TreeSet<>(java.util.Set.of(3000, 8080)))).isTrue();
            long written = reader.snapshot().routes().get("ws1").revision();
            assertThat(sink.listening("ws1", new java.util.TreeSet<>(java.util.Set.of(8080, 3000)))).as("unchanged").isFalse();
            assertThat(reader.snapshot().routes().get("ws1").revision()).as("no write for the same ports").isEqualTo(written);

            sink.publish(WS1); // a reconcile publishes the route again
            assertThat(reader.snapshot().routes().get("ws1").value().listeningPorts()).containsExactly(3000, 8080);

            sink.withdraw("ws1"); // a delete
            assertThat(sink.listening("ws1", new java.util.TreeSet<>(java.util.Set.of(3000)))).isFalse();
            assertThat(reader.snapshot().routes()).as("a scan after the delete brings nothing back").doesNotContainKey("ws1");
            sink.publish(WS1);
            assertThat(reader.snapshot().routes().get("ws1").value().listeningPorts()).as("forgotten with the withdraw").isNull();
        }
    }

    @Test
    void aCleanShutdownTakesTheHostsRoutesOutOfTheStoreAtOnce() {
        Path file = dir.resolve("store.json");
        StoreRouteSink sink = new StoreRouteSink(new ControlPlaneStore(EmbeddedStore.open(file)), Duration.ofSeconds(30));
        sink.publish(WS1);

        sink.close();

        try (ControlPlaneStore reopened = new ControlPlaneStore(EmbeddedStore.open(file))) {
            assertThat(reopened.snapshot().routes()).isEmpty();
        }
    }

    @Test
    void anAgentThatDiesWithoutShuttingDownLosesItsRoutesAfterTheTtl() {
        EmbeddedStore kv = EmbeddedStore.inMemory();
        ControlPlaneStore reader = new ControlPlaneStore(kv);
        StoreRouteSink sink = new StoreRouteSink(new ControlPlaneStore(kv), Duration.ofMillis(500));
        sink.publish(WS1);

        sink.lease().abandon(); // what a killed agent does: nothing

        await(Duration.ofSeconds(3), () -> reader.snapshot().routes().isEmpty());
        kv.close();
    }

    @Test
    void writesEveryRouteAgainWhenTheLeaseWasLost() {
        EmbeddedStore kv = EmbeddedStore.inMemory();
        ControlPlaneStore reader = new ControlPlaneStore(kv);
        try (StoreRouteSink sink = new StoreRouteSink(new ControlPlaneStore(kv), Duration.ofMillis(600))) {
            sink.publish(WS1);
            sink.publish(WS2);
            long first = sink.lease().id();

            // The store lost the lease, e.g. the host was cut off longer than the TTL.
            kv.revokeLease(first);
            assertThat(reader.snapshot().routes()).isEmpty();

            await(Duration.ofSeconds(3), () -> reader.snapshot().routes().keySet().containsAll(java.util.Set.of("ws1", "ws2")));
            assertThat(sink.lease().id()).isNotEqualTo(first);
        }
    }

    @Test
    void aWriteThatFailsIsNotCountedAsPublished() {
        EmbeddedStore kv = EmbeddedStore.inMemory();
        StoreRouteSink sink = new StoreRouteSink(new ControlPlaneStore(kv), Duration.ofSeconds(30));
        kv.close(); // the store is gone

        assertThatThrownBy(() -> sink.publish(WS1)).isInstanceOf(RuntimeException.class)
                .isNotInstanceOf(StoreUnavailableException.class).hasMessageContaining("closed");
        assertThat(sink.published()).isEmpty();
    }

    private static void await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within " + timeout).isLessThan(deadline);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
