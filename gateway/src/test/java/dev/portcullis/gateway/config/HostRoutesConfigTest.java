package dev.portcullis.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hostRoutes}: the networks host agents may publish workspace addresses in, through the host API. */
class HostRoutesConfigTest {
    private static final String BASE = """
            listen: ["127.0.0.1:8443"]
            baseDomains: [ws.example.com]
            tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
            identity: {developmentIssuer: {stateDirectory: dev}}
            store: {embedded: /var/lib/portcullis/store.json}
            """;

    @TempDir
    Path folder;

    private Path write(String yaml) throws Exception {
        Path file = folder.resolve("gateway.yaml");
        Files.writeString(file, yaml + "\nworkspaceAddressRanges: [10.0.0.0/8, 'fd00::/8']\n"); // last, so the lines above keep their numbers
        return file;
    }

    @Test
    void readsTheTrustedNetworks() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write(BASE + "hostRoutes: {addressRanges: [10.213.0.0/16, 'fd00:213::/48']}\n"));

        assertThat(config.hostRouteRanges()).extracting(Object::toString).containsExactly("10.213.0.0/16", "fd00:213::/48");
        assertThat(GatewayConfigFile.load(write(BASE)).hostRouteRanges()).as("without the section the host API is off").isEmpty();
    }

    @Test
    void namesTheLineOfABadNetwork() throws Exception {
        Path file = write(BASE + "hostRoutes:\n  addressRanges: [10.213.0.1/16]\n");

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":7:")
                .hasMessageContaining("hostRoutes.addressRanges")
                .hasMessageContaining("'10.213.0.1/16' has host bits set (expected: 10.213.0.0/16)");
        Path name = write(BASE + "hostRoutes:\n  addressRanges: [workspaces.internal/16]\n");
        assertThatThrownBy(() -> GatewayConfigFile.load(name)).hasMessageContaining("expected: a network such as 10.213.0.0/16");
    }

    @Test
    void refusesAHostRangeOutsideTheWorkspaceRanges() throws Exception {
        Path file = write(BASE + "hostRoutes: {addressRanges: [192.168.0.0/16]}\n");

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":6:")
                .hasMessageContaining("hostRoutes.addressRanges: 192.168.0.0/16 is not inside workspaceAddressRanges");
    }

    @Test
    void refusesAnEmptyListAndASectionWithoutAStore() throws Exception {
        Path empty = write(BASE + "hostRoutes: {addressRanges: []}\n");
        assertThatThrownBy(() -> GatewayConfigFile.load(empty)).hasMessageContaining("hostRoutes.addressRanges: missing or empty");
        Path noStore = write(BASE.replace("store: {embedded: /var/lib/portcullis/store.json}\n", "")
                + "hostRoutes: {addressRanges: [10.213.0.0/16]}\n");
        assertThatThrownBy(() -> GatewayConfigFile.load(noStore)).hasMessageContaining("hostRoutes: set without store and identity");
    }
}
