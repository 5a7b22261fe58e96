package dev.portcullis.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.store.Fixtures;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreContractTest;
import dev.portcullis.store.StoreSnapshot;
import dev.portcullis.store.record.StoreKeys;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract against one real etcd member, shared by the tests and emptied before each.
 * Snapshots are read in pages of three keys, so most tests cross page ends.
 */
class EtcdStoreContractTest extends StoreContractTest {

    private static EtcdCluster etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.start(1);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    protected KeyValueStore openStore() {
        EtcdStore store = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5), 3);
        for (KeyValue kv : store.range("/portcullis/").entries()) {
            store.delete(kv.key(), KeyValueStore.ANY_REVISION);
        }
        return store;
    }

    @Override
    protected Duration shortTtl() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected Duration expiryGrace() {
        // etcd's leader checks for expired leases every 500 ms and then deletes their keys in a proposal.
        return Duration.ofMillis(1500);
    }

    @Test
    void readsATableLargerThanOnePageAsOneSnapshotAtOneRevision() {
        long last = 0;
        for (int i = 0; i < 25; i++) {
            last = store.putRoute(Fixtures.route("ws" + i), KeyValueStore.ANY_REVISION);
        }
        // The first key past the routes prefix (its range end): not a route, though under v1.
        kv.put("/portcullis/v1/routes0", new byte[] {1}, KeyValueStore.ANY_REVISION, 0);

        StoreSnapshot snapshot = store.snapshot();

        assertThat(snapshot.routes()).hasSize(25);
        assertThat(snapshot.revision()).isEqualTo(last + 1);
        assertThat(kv.range(StoreKeys.ROUTES).entries()).extracting(KeyValue::key).isSorted().hasSize(25);
        assertThat(store.skippedRecords()).as("the stray key is read under v1 and skipped").isEqualTo(1);
    }
}
