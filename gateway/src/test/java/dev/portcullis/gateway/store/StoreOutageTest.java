package dev.portcullis.gateway.store;

import static dev.portcullis.gateway.store.StoreGateways.awaitStatus;
import static dev.portcullis.gateway.store.StoreGateways.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.store.record.RouteRecord;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gateway whose etcd goes away serves what it has, says it is not ready, and catches up when etcd is back. */
class StoreOutageTest {
    private static final Duration NOTICED = Duration.ofSeconds(15);

    @TempDir
    Path folder;

    private EtcdCluster etcd;
    private StoreGateways setup;
    private GatewayFixture gateway;
    private ControlPlaneStore writer;

    @BeforeEach
    void start() throws Exception {
        EtcdCluster.assumeEtcdInstalled();
        etcd = EtcdCluster.start(1);
        setup = new StoreGateways(folder);
        StoreSettings store = StoreSettings.etcd(etcd.endpoints()).withTimeout(Duration.ofSeconds(1));
        gateway = setup.start(folder.resolve("g"), store);
        writer = new ControlPlaneStore(store.open());
    }

    @AfterEach
    void stop() {
        writer.close();
        gateway.close();
        etcd.close();
    }

    @Test
    void servesItsSnapshotWhileEtcdIsDownReportsNotReadyAndCatchesUpWhenItIsBack() throws Exception {
        String alice = setup.token("alice", "acme");
        int port = gateway.workspacePort();
        writer.putRoute(RouteRecord.running("before", "127.0.0.1", "host-1", "alice", "acme"), KeyValueStore.ANY_REVISION);
        awaitStatus(gateway, "before", port, alice, status -> status == 200);

        etcd.kill(0);

        HttpResponse<String> ready = awaitReadiness(503);
        assertThat(ready.body()).contains("not ready: the store is unreachable since").contains("serving revision");
        assertThat(status(gateway, "before", port, alice)).isEqualTo(200);
        String metrics = setup.get(gateway.adminUrl("/metrics")).body();
        assertThat(metrics).contains("portcullis_store_ready 0");
        Matcher stale = Pattern.compile("(?m)^portcullis_store_stale_seconds (\\S+)$").matcher(metrics);
        assertThat(stale.find()).isTrue();
        assertThat(Double.parseDouble(stale.group(1))).isPositive();
        HttpResponse<String> write = setup.call(gateway, "PUT", "/api/v1/shares/before/" + port, alice,
                "{\"level\":\"organization\"}");
        assertThat(write.statusCode()).isEqualTo(503);
        assertThat(write.body()).contains("store-unavailable");

        etcd.restart(0);
        writeWhenEtcdAnswers(() -> writer.putRoute(RouteRecord.running("after", "127.0.0.1", "host-1", "alice", "acme"),
                KeyValueStore.ANY_REVISION));
        writer.deleteRoute("before", KeyValueStore.ANY_REVISION);

        awaitStatus(gateway, "after", port, alice, status -> status == 200);
        awaitStatus(gateway, "before", port, alice, status -> status == 404);
        assertThat(awaitReadiness(200).body()).isEqualTo("ready\n");
        assertThat(setup.get(gateway.adminUrl("/metrics")).body()).contains("portcullis_store_ready 1")
                .containsPattern("portcullis_store_reconnects_total [1-9]");
    }

    private HttpResponse<String> awaitReadiness(int expected) {
        return Awaitility.await("/readyz answering " + expected).atMost(NOTICED).pollInterval(Duration.ofMillis(50))
                .until(() -> setup.get(gateway.adminUrl("/readyz")), answer -> answer.statusCode() == expected);
    }

    /** Retries {@code write} until etcd takes it (a failed attempt is ignored; the last one's error is reported). */
    private static void writeWhenEtcdAnswers(Runnable write) {
        Awaitility.await("etcd takes the write").atMost(NOTICED).pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsInstanceOf(RuntimeException.class).untilAsserted(write::run);
    }
}
