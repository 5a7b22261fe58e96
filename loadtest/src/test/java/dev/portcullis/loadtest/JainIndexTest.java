package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class JainIndexTest {
    @Test
    void equalThroughputsAreFairnessOne() {
        assertThat(JainIndex.of(new double[] {5, 5, 5, 5})).isEqualTo(1.0);
    }

    @Test
    void oneTakingEverythingOfTenIsOneTenth() {
        assertThat(JainIndex.of(new double[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0})).isCloseTo(0.1, within(1e-12));
    }

    @Test
    void fiftyConnectionsAgainstNineSinglesUnderTcpSharing() {
        // Per-connection sharing: ws0 gets 50/59 of the link, each other 1/59: (59)^2 / (10 * (2500 + 9)).
        double[] x = {50, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        assertThat(JainIndex.of(x)).isCloseTo(59.0 * 59 / (10 * 2509.0), within(1e-12));
    }
}
