package dev.portcullis.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.portcullis.config.ConfigException;
import dev.portcullis.gateway.fairness.Bandwidth;
import dev.portcullis.gateway.fairness.FairnessSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code fairness:} section: read into settings, and every mistake named with its line and key. */
class FairnessConfigTest {
    private static final String HEAD = """
            listen: ["127.0.0.1:8443"]
            baseDomains: [ws.example.com]
            tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
            """;

    @TempDir
    Path folder;

    private Path write(String fairness) throws Exception {
        Path file = folder.resolve("gateway.yaml");
        // Open access said out loud, as a config without identity must; last, so the lines above keep their numbers.
        Files.writeString(file, HEAD + fairness + (fairness.isEmpty() || fairness.endsWith("\n") ? "" : "\n")
                + "insecureOpenAccess: true\nworkspaceAddressRanges: [10.0.0.0/8]\n");
        return file;
    }

    @Test
    void noSectionMeansNoFairness() throws Exception {
        assertThat(GatewayConfigFile.load(write("")).fairness()).isEmpty();
    }

    @Test
    void readsCapacityTickBurstAndWeights() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write("""
                fairness:
                  capacity: 800Mbit
                  tick: 20ms
                  burst: 128KiB
                  defaultWeight: 2
                  orgs:
                    acme: {weight: 3}
                  workspaces:
                    ws1: {org: acme}
                    ws2: {org: acme, weight: 0.5, cap: 10MB/s}
                """));

        FairnessSettings fairness = config.fairness().orElseThrow();
        assertThat(fairness.capacity().bytesPerSecond()).isEqualTo(100e6);
        assertThat(fairness.tick()).isEqualTo(Duration.ofMillis(20));
        assertThat(fairness.burst()).isEqualTo(128 * 1024);
        assertThat(fairness.weightOf("ws1")).isEqualTo(3);
        assertThat(fairness.weightOf("ws2")).isEqualTo(0.5);
        assertThat(fairness.weightOf("other")).isEqualTo(2);
        assertThat(fairness.capOf("ws2")).isEqualTo(10e6);
        assertThat(fairness.capOf("ws1")).isInfinite();
    }

    @Test
    void onlyTheCapacityIsRequiredAndItMayBeUnlimited() throws Exception {
        FairnessSettings fairness = GatewayConfigFile.load(write("""
                fairness:
                  capacity: unlimited
                """)).fairness().orElseThrow();

        assertThat(fairness.capacity().isUnlimited()).isTrue();
        assertThat(fairness.tick()).isEqualTo(FairnessSettings.DEFAULT_TICK);
        assertThat(fairness.burst()).isEqualTo(FairnessSettings.DEFAULT_BURST);
        assertThat(fairness.weightOf("any")).isEqualTo(1);
    }

    @Test
    void zeroWeightIsRejectedAtItsLine() throws Exception {
        Path file = write("""
                fairness:
                  capacity: 1Gbit
                  workspaces:
                    ws1: {weight: 0}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":7:")
                .hasMessageContaining("fairness.workspaces.ws1.weight: 0 (expected: a number > 0");
    }

    @Test
    void negativeOrgWeightIsRejectedAtItsLine() throws Exception {
        Path file = write("""
                fairness:
                  capacity: 1Gbit
                  orgs:
                    acme:
                      weight: -2
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":8:")
                .hasMessageContaining("fairness.orgs.acme.weight: -2 (expected: a number > 0");
    }

    @Test
    void capacityWithoutAUnitIsRejectedAtItsLine() throws Exception {
        Path file = write("""
                fairness:
                  capacity: 800Mb
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":5:")
                .hasMessageContaining("fairness.capacity: '800Mb' (expected: a number and a unit such as 800Mbit");
    }

    @Test
    void missingCapacityIsNamed() throws Exception {
        Path file = write("""
                fairness:
                  tick: 10ms
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("fairness.capacity: missing");
    }

    @Test
    void workspaceOfAnUnknownOrgIsRejected() throws Exception {
        Path file = write("""
                fairness:
                  capacity: 1Gbit
                  workspaces:
                    ws1: {org: nobody}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("fairness.workspaces.ws1.org: 'nobody' (expected: an org listed under fairness.orgs");
    }

    @Test
    void tickOutsideItsRangeIsRejected() throws Exception {
        Path file = write("""
                fairness:
                  capacity: 1Gbit
                  tick: 5s
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("fairness.tick: 5000ms (expected: 1ms-1s)");
    }

    @Test
    void unknownKeyInTheSectionIsNamed() throws Exception {
        Path file = write("""
                fairness:
                  capacity: 1Gbit
                  weight: 2
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":6:")
                .hasMessageContaining("fairness.weight: unknown key");
    }

    @Test
    void bandwidthUnitsAreBitsOrBytes() {
        assertThat(Bandwidth.parse("800Mbit").bytesPerSecond()).isEqualTo(100e6);
        assertThat(Bandwidth.parse("1Gbit/s").bytesPerSecond()).isEqualTo(125e6);
        assertThat(Bandwidth.parse("100MB/s").bytesPerSecond()).isEqualTo(100e6);
        assertThat(Bandwidth.parse("1.5MiB/s").bytesPerSecond()).isCloseTo(1.5 * 1024 * 1024, within(1e-6));
        assertThat(Bandwidth.parse("unlimited").isUnlimited()).isTrue();
        assertThatThrownBy(() -> Bandwidth.parse("0Mbit")).hasMessageContaining("expected: > 0");
        assertThatThrownBy(() -> Bandwidth.parse("fast")).hasMessageContaining("expected: a number and a unit");
    }
}
