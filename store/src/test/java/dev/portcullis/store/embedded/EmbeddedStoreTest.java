package dev.portcullis.store.embedded;

import static dev.portcullis.store.Fixtures.await;
import static dev.portcullis.store.Fixtures.route;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.HostLease;
import dev.portcullis.store.KeyEvent;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.WatchListener;
import dev.portcullis.store.record.StoreKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the embedded store has to prove: its file. */
class EmbeddedStoreTest {

    @TempDir
    Path dir;

    @Test
    void reopensWithTheSameRecordsAndRevision() {
        Path file = dir.resolve("store.json");
        long revision;
        try (ControlPlaneStore store = new ControlPlaneStore(EmbeddedStore.open(file))) {
            store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
            revision = store.putRoute(route("ws2"), KeyValueStore.ANY_REVISION);
        }

        try (ControlPlaneStore store = new ControlPlaneStore(EmbeddedStore.open(file))) {
            assertThat(store.snapshot().revision()).isEqualTo(revision);
            assertThat(store.snapshot().routes()).containsOnlyKeys("ws1", "ws2");
            assertThat(store.putRoute(route("ws3"), KeyValueStore.ANY_REVISION)).isEqualTo(revision + 1);
        }
    }

    @Test
    void leaseRoutesSurviveARestartAndExpireWhenNobodyKeepsTheLeaseAlive() {
        Path file = dir.resolve("store.json");
        try (ControlPlaneStore store = new ControlPlaneStore(EmbeddedStore.open(file))) {
            HostLease lease = store.grantLease(Duration.ofMillis(600), l -> {});
            store.putRoute(route("ws1"), lease);
            lease.abandon();
        }

        try (ControlPlaneStore store = new ControlPlaneStore(EmbeddedStore.open(file))) {
            // The TTL starts again at load, as etcd's does after a restart.
            assertThat(store.snapshot().routes()).containsOnlyKeys("ws1");
            await("the route of the lease nobody keeps alive to go", Duration.ofSeconds(3),
                    () -> store.snapshot().routes().isEmpty());
        }
    }

    @Test
    void ignoresTheTempFileOfAWriteThatCrashedHalfway() throws Exception {
        Path file = dir.resolve("store.json");
        try (ControlPlaneStore store = new ControlPlaneStore(EmbeddedStore.open(file))) {
            store.putRoute(route("ws1"), KeyValueStore.ANY_REVISION);
        }
        // What a crash between write and rename leaves: a partial temp file beside the real one.
        Files.writeString(dir.resolve(".store.json.tmp"), "{\"version\":1,\"revision\":99,\"entr");

        try (ControlPlaneStore store = new ControlPlaneStore(EmbeddedStore.open(file))) {
            assertThat(store.snapshot().routes()).containsOnlyKeys("ws1");
            assertThat(store.snapshot().revision()).isEqualTo(1);
        }
    }

    @Test
    void refusesToStartOnADamagedFileNamingIt() throws Exception {
        Path file = dir.resolve("store.json");
        Files.writeString(file, "{\"version\":1,\"revis");

        assertThatThrownBy(() -> EmbeddedStore.open(file))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(file + ": cannot read the embedded store");
    }

    @Test
    void everyWriteIsOnDiskWhenTheCallReturns() throws Exception {
        Path file = dir.resolve("store.json");
        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            store.put(StoreKeys.route("ws1"), "x".getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);

            try (EmbeddedStore copy = EmbeddedStore.open(Files.copy(file, dir.resolve("copy.json")))) {
                assertThat(copy.range(StoreKeys.ROOT).entries()).hasSize(1);
            }
        }
    }

    @Test
    void aWatchFromBeforeARestartIsToldToReloadTheSnapshot() throws Exception {
        Path file = dir.resolve("store.json");
        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            store.put(StoreKeys.route("ws1"), "x".getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);
            store.put(StoreKeys.route("ws2"), "x".getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);
        }
        CountDownLatch compacted = new CountDownLatch(1);

        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            store.watch(StoreKeys.ROOT, 2, new WatchListener() {
                @Override
                public void onEvents(List<KeyEvent> events) {}

                @Override
                public void onCompacted(long compactedRevision) {
                    compacted.countDown();
                }

                @Override
                public void onDisconnected(Throwable cause) {}
            });
            assertThat(compacted.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void refusesASecondStoreOnTheSameFile() {
        Path file = dir.resolve("store.json");
        EmbeddedStore first = EmbeddedStore.open(file);
        try {
            assertThatThrownBy(() -> EmbeddedStore.open(file))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("only one process may open it");
        } finally {
            first.close();
        }
        // Closed: the file is free again.
        EmbeddedStore.open(file).close();
    }
}
