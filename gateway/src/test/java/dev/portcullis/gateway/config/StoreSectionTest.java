package dev.portcullis.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdTls;
import dev.portcullis.store.etcd.EtcdUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreSectionTest {
    private static final String BASE = """
            listen: ["127.0.0.1:8443"]
            baseDomains: [ws.example.com]
            insecureOpenAccess: true
            tls:
              certificates:
                - {certificateChain: chain.pem, privateKey: key.pem}
            """;

    @TempDir
    Path folder;

    private GatewayConfig load(String yaml) throws Exception {
        Path file = folder.resolve("gateway.yaml");
        Files.writeString(file, BASE + yaml + "\nworkspaceAddressRanges: [10.0.0.0/8]\n"); // last, so the lines above keep their numbers
        return GatewayConfigFile.load(file);
    }

    @Test
    void readsEtcdEndpointsAndTimeout() throws Exception {
        GatewayConfig config = load("""
                store:
                  etcd:
                    endpoints: [http://10.0.0.11:2379, http://10.0.0.12:2379]
                    timeoutMillis: 1500
                """);

        StoreSettings store = config.store().orElseThrow();
        assertThat(store.etcdEndpoints()).containsExactly("http://10.0.0.11:2379", "http://10.0.0.12:2379");
        assertThat(store.timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(store.embeddedFile()).isEmpty();
    }

    @Test
    void readsAnEmbeddedStore() throws Exception {
        GatewayConfig config = load("store:\n  embedded: /var/lib/portcullis/store.json\n");

        assertThat(config.store().orElseThrow().embeddedFile()).contains(Path.of("/var/lib/portcullis/store.json"));
    }

    @Test
    void withoutAStoreSectionThereIsNoStore() throws Exception {
        assertThat(load("").store()).isEmpty();
    }

    @Test
    void aBadEndpointIsReportedWithItsLineAndKey() {
        assertThatThrownBy(() -> load("""
                store:
                  etcd:
                    endpoints:
                      - http://10.0.0.11:2379
                      - etcd-2:2379
                """)).hasMessageContaining("gateway.yaml:11:")
                .hasMessageContaining("store.etcd.endpoints[1]: 'etcd-2:2379' (expected: an etcd client URL");
    }

    @Test
    void aRelativeEmbeddedPathIsRefusedWithItsLine() {
        assertThatThrownBy(() -> load("store:\n  embedded: store.json\n"))
                .hasMessageContaining("gateway.yaml:8:").hasMessageContaining("store.embedded: 'store.json' (expected: an absolute path)");
    }

    @Test
    void anUnknownKeyIsReportedWithItsLine() {
        assertThatThrownBy(() -> load("store:\n  etcd:\n    endpoints: [http://10.0.0.11:2379]\n  leaseTtlSeconds: 10\n"))
                .hasMessageContaining("gateway.yaml:10:").hasMessageContaining("store.leaseTtlSeconds: unknown key");
    }

    @Test
    void aTimeoutOutOfRangeIsRefused() {
        assertThatThrownBy(() -> load("store:\n  etcd:\n    endpoints: [http://10.0.0.11:2379]\n    timeoutMillis: 0\n"))
                .hasMessageContaining("gateway.yaml:10:").hasMessageContaining("store.etcd.timeoutMillis: 0 (expected: 1-600000)");
    }

    @Test
    void exactlyOneStoreMustBeNamed() {
        assertThatThrownBy(() -> load("store:\n  embedded: /x/store.json\n  etcd:\n    endpoints: [http://10.0.0.11:2379]\n"))
                .hasMessageContaining("store: both embedded and etcd");
        assertThatThrownBy(() -> load("store: {}\n")).hasMessageContaining("store: neither embedded nor etcd");
        assertThatThrownBy(() -> load("store:\n  etcd: {}\n")).hasMessageContaining("store.etcd.endpoints: missing or empty");
    }

    @Test
    void aStoreExcludesRouteFilesAndAStateDirectory() {
        assertThatThrownBy(() -> load("store: {embedded: /x/store.json}\nrouteFiles: [routes.json]\n"))
                .hasMessageContaining("routeFiles: set together with store");
        assertThatThrownBy(() -> load("store: {embedded: /x/store.json}\naccess: {stateDirectory: state}\n"))
                .hasMessageContaining("access.stateDirectory: set together with store");
    }

    /** A CA, a certificate and its PKCS#8 key, and a password file, all real, in the temp folder. */
    private DemoCertificateAuthority tlsFiles() throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(folder.resolve("etcd-tls"));
        ca.ensureServerCertificate("etcd.internal");
        Files.writeString(folder.resolve("etcd-password"), "correct horse\n");
        return ca;
    }

    private String etcdOverTls(DemoCertificateAuthority ca, Path privateKey) {
        return """
                store:
                  etcd:
                    endpoints: [https://10.0.0.11:2379]
                    tls:
                      caFile: %s
                      certificateChain: %s
                      privateKey: %s
                    auth:
                      user: gateway-1
                      passwordFile: %s
                """.formatted(ca.caCertificate(), ca.serverCertificateChain(), privateKey, folder.resolve("etcd-password"));
    }

    @Test
    void readsEtcdTlsAndAuth() throws Exception {
        DemoCertificateAuthority ca = tlsFiles();

        StoreSettings store = load(etcdOverTls(ca, ca.serverKey())).store().orElseThrow();

        assertThat(store.etcdTls()).contains(new EtcdTls(ca.caCertificate(), Optional.of(ca.serverCertificateChain()),
                Optional.of(ca.serverKey())));
        assertThat(store.etcdUser()).contains(new EtcdUser("gateway-1", folder.resolve("etcd-password")));
        assertThat(store.etcdUser().orElseThrow().password()).isEqualTo("correct horse");
        assertThat(store.toString()).isEqualTo("etcd https://10.0.0.11:2379 (TLS, client certificate, user gateway-1)")
                .doesNotContain("correct horse");
    }

    @Test
    void aMissingCaFileIsRefusedWithItsLine() throws Exception {
        DemoCertificateAuthority ca = tlsFiles();
        Files.delete(ca.caCertificate());

        assertThatThrownBy(() -> load(etcdOverTls(ca, ca.serverKey())))
                .hasMessageStartingWith(folder.resolve("gateway.yaml") + ":11: store.etcd.tls.caFile: '" + ca.caCertificate()
                        + "': no such file");
    }

    @Test
    void anUnreadableKeyIsRefusedWithItsLine() throws Exception {
        DemoCertificateAuthority ca = tlsFiles();
        Path garbage = Files.writeString(folder.resolve("garbage-key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

        assertThatThrownBy(() -> load(etcdOverTls(ca, garbage)))
                .hasMessageStartingWith(folder.resolve("gateway.yaml") + ":13: store.etcd.tls.privateKey: '" + garbage
                        + "': not a key this client can read");
    }

    @Test
    void anHttpsEndpointWithoutACaIsRefusedWithItsLine() {
        assertThatThrownBy(() -> load("store:\n  etcd:\n    endpoints: [https://10.0.0.11:2379]\n"))
                .hasMessageStartingWith(folder.resolve("gateway.yaml") + ":9: store.etcd.endpoints: 'https://10.0.0.11:2379'"
                        + " is https:// but store.etcd.tls.caFile is missing");
    }

    @Test
    void tlsForHttpEndpointsIsRefusedRatherThanIgnored() throws Exception {
        DemoCertificateAuthority ca = tlsFiles();

        assertThatThrownBy(() -> load(etcdOverTls(ca, ca.serverKey()).replace("https://", "http://")))
                .hasMessageStartingWith(folder.resolve("gateway.yaml") + ":10: store.etcd.tls: set, but the endpoints are http://");
    }

    @Test
    void aUserWithoutAPasswordFileOrWithAnEmptyOneIsRefused() throws Exception {
        DemoCertificateAuthority ca = tlsFiles();
        String config = etcdOverTls(ca, ca.serverKey());

        assertThatThrownBy(() -> load(config.replaceAll("(?m)^ *passwordFile:.*\n", "")))
                .hasMessageStartingWith(folder.resolve("gateway.yaml") + ":14: store.etcd.auth.passwordFile: missing");
        Files.writeString(folder.resolve("etcd-password"), "\n");
        assertThatThrownBy(() -> load(config))
                .hasMessageStartingWith(folder.resolve("gateway.yaml") + ":16: store.etcd.auth.passwordFile: '"
                        + folder.resolve("etcd-password") + "': empty");
    }

    @Test
    void builtConfigsCheckTheSameExclusions() {
        GatewayConfig.Builder builder = GatewayConfig.builder().listen(new java.net.InetSocketAddress(0)).baseDomain("ws.example.com")
                .tls(GatewayConfig.TlsSettings.of(new GatewayConfig.TlsFiles(Path.of("/c.pem"), Path.of("/k.pem"))))
                .store(StoreSettings.etcd(List.of("http://127.0.0.1:2379"))).routeFile(Path.of("/r.json"));

        assertThatThrownBy(builder::build).hasMessageContaining("routeFiles: set together with store");
    }
}
