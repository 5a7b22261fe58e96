package dev.portcullis.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.config.ConfigException;
import dev.portcullis.devkit.tls.DemoCertificateAuthority;
import dev.portcullis.store.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's {@code store.etcd.tls} and {@code store.etcd.auth}: real files, errors with file, line and key. */
class AgentStoreTlsConfigTest {
    @TempDir
    Path folder;

    private DemoCertificateAuthority ca;

    @BeforeEach
    void files() throws Exception {
        ca = new DemoCertificateAuthority(folder.resolve("tls"));
        ca.ensureServerCertificate("etcd.internal");
        Files.writeString(folder.resolve("password"), "hunter2\n");
    }

    private String config(Path privateKey) {
        return """
                hostName: host-7
                store:
                  etcd:
                    endpoints: [https://10.0.0.1:2379, https://10.0.0.2:2379]
                    tls:
                      caFile: %s
                      certificateChain: %s
                      privateKey: %s
                    auth:
                      user: agent-host-7
                      passwordFile: %s
                """.formatted(ca.caCertificate(), ca.serverCertificateChain(), privateKey, folder.resolve("password"));
    }

    @Test
    void readsTlsAndAuth() throws Exception {
        StoreSettings store = AgentConfigLoader.parse("agent.yaml", config(ca.serverKey())).store().orElseThrow();

        assertThat(store.etcdTls().orElseThrow().privateKey()).contains(ca.serverKey());
        assertThat(store.etcdUser().orElseThrow().name()).isEqualTo("agent-host-7");
        assertThat(store.toString()).contains("TLS, client certificate, user agent-host-7").doesNotContain("hunter2");
    }

    @Test
    void aMissingKeyFileIsRefusedWithItsLine() throws Exception {
        Path missing = folder.resolve("nope-key.pem");

        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", config(missing)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("agent.yaml:8: store.etcd.tls.privateKey: '" + missing + "': no such file");
    }

    @Test
    void aClientCertificateWithoutItsKeyIsRefusedAtTheTlsSection() {
        String withoutKey = config(ca.serverKey()).replaceAll("(?m)^ *privateKey:.*\n", "");

        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", withoutKey))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:5: store.etcd.tls.privateKey: missing");
    }

    @Test
    void httpsWithoutTlsIsRefusedAtTheEndpoints() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                store:
                  etcd:
                    endpoints: [https://10.0.0.1:2379]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:3: store.etcd.endpoints: 'https://10.0.0.1:2379' is https:// but"
                        + " store.etcd.tls.caFile is missing");
    }
}
