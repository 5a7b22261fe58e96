package dev.portcullis.demo.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.Ipv4Cidr;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Names of their own for the demo's tests, which can never be the names of {@code ./portcullis demo}. */
class DemoNetworkNamesTest {
    private static final Ipv4Cidr RANGE = Ipv4Cidr.parse("10.213.254.0/24");

    @Test
    void namesOfTheirOwnHaveTheirOwnLock() {
        DemoNetworkNames names = DemoNetworkNames.of("pctst", RANGE);

        assertThat(names.namespacePrefix()).isEqualTo("pctst-");
        assertThat(names.table()).isEqualTo("pctst");
        assertThat(names.machineLock()).isEqualTo(Path.of("/run/portcullis-pctst.lock"));
        assertThat(names.machineLock()).isNotEqualTo(DemoNetworkNames.DEMO.machineLock());
    }

    @Test
    void refusesNamesThatOverlapTheDemosOwn() {
        assertThatThrownBy(() -> DemoNetworkNames.of("pcdem", RANGE)).hasMessageContaining("overlaps the demo's own names");
        assertThatThrownBy(() -> DemoNetworkNames.of("pcde", RANGE)).hasMessageContaining("overlaps the demo's own names");
        assertThatThrownBy(() -> DemoNetworkNames.of("pctest", RANGE)).hasMessageContaining("expected: 2-5 of a-z");
    }
}
