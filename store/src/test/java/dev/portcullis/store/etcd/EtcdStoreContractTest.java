package dev.portcullis.store.etcd;

import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreContractTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract against one real etcd member, shared by the tests and emptied before each. */
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
        EtcdStore store = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5));
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
}
