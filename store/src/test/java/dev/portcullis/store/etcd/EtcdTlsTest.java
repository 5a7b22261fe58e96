package dev.portcullis.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.StoreUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real etcd that serves clients over TLS only and asks each for a certificate signed by its CA
 * ({@code --client-cert-auth}); the certificates are made by the test. Whom the client trusts and
 * what it presents decide whether it gets in.
 */
class EtcdTlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private static Path folder;
    private static TestCertificates ca;
    private static EtcdCluster etcd;

    @BeforeAll
    static void start() throws Exception {
        EtcdCluster.assumeEtcdInstalled();
        folder = Files.createTempDirectory("portcullis-etcd-tls-");
        ca = TestCertificates.newCa(folder, "etcd");
        Path[] server = ca.server("server", "127.0.0.1", "localhost");
        Path[] probe = ca.client("probe", false);
        etcd = EtcdCluster.startWithTls(1, new EtcdCluster.ServerTls(server[0], server[1], ca.caFile(),
                ca.jdkClientContext(probe)));
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static StoreSettings settings(EtcdTls tls) {
        return StoreSettings.etcd(etcd.endpoints(), tls).withTimeout(TIMEOUT);
    }

    private static void roundTrip(StoreSettings settings) {
        try (KeyValueStore store = settings.open()) {
            long revision = store.put("/portcullis/v1/tls-test", "ok".getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);
            assertThat(store.range("/portcullis/v1/tls-test").revision()).isGreaterThanOrEqualTo(revision);
        }
    }

    @Test
    void aClientWithTheRightCaAndACertificateGetsIn() throws Exception {
        Path[] client = ca.client("gateway-1", false);

        roundTrip(settings(EtcdTls.verifying(ca.caFile()).withClientCertificate(client[0], client[1])));
    }

    @Test
    void aKeyInAFormThisClientCannotReadIsAConfigError() throws Exception {
        Path[] client = ca.client("gateway-2", true);
        assertThat(Files.readString(client[1])).contains("BEGIN EC PRIVATE KEY");

        assertThatThrownBy(() -> settings(EtcdTls.verifying(ca.caFile()).withClientCertificate(client[0], client[1])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("store.etcd.tls.privateKey: '" + client[1] + "': not a key this client can read")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
    }

    @Test
    void aServerCertificateForAnotherNameIsRefused() throws Exception {
        // Signed by the trusted CA, but for another host: verification of the name is not switched off.
        Path[] elsewhere = ca.server("elsewhere", "etcd.elsewhere.example");
        Path[] client = ca.client("gateway-4", false);
        try (EtcdCluster impostor = EtcdCluster.startWithTls(1, new EtcdCluster.ServerTls(elsewhere[0], elsewhere[1],
                ca.caFile(), null))) {
            StoreSettings settings = StoreSettings.etcd(impostor.endpoints(),
                    EtcdTls.verifying(ca.caFile()).withClientCertificate(client[0], client[1])).withTimeout(TIMEOUT);

            assertThatThrownBy(() -> roundTrip(settings)).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("its certificate is not for the name or address in store.etcd.endpoints");
        }
    }

    @Test
    void aServerSignedByAnotherCaIsRefused() throws Exception {
        TestCertificates other = TestCertificates.newCa(folder, "other");
        Path[] client = ca.client("gateway-3", false);

        assertThatThrownBy(() -> roundTrip(settings(EtcdTls.verifying(other.caFile()).withClientCertificate(client[0], client[1]))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("its certificate is not signed by the CA in store.etcd.tls.caFile");
    }

    @Test
    void aClientWithoutACertificateIsRefused() {
        assertThatThrownBy(() -> roundTrip(settings(EtcdTls.verifying(ca.caFile()))))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("it refused this client's certificate");
    }
}
