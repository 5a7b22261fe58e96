package dev.portcullis.gateway.fairness;

import static dev.portcullis.gateway.fairness.MaxMinAllocator.NO_CAP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Allocations computed by hand (water level L, claimant i gets min(limit_i, w_i * L)). */
class MaxMinAllocatorTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    private static double[] allocate(double capacity, double[] demand, double[] weight, double[] cap) {
        double[] out = new double[demand.length];
        double total = MaxMinAllocator.allocate(capacity, demand.length, demand, weight, cap, out);
        double sum = 0;
        for (double a : out) {
            sum += a;
        }
        assertThat(total).isEqualTo(sum);
        return out;
    }

    private static double[] ones(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1);
        return w;
    }

    private static double[] noCaps(int n) {
        double[] c = new double[n];
        java.util.Arrays.fill(c, NO_CAP);
        return c;
    }

    @Test
    void oneBackloggedWorkspaceTakesTheWholeCapacity() {
        assertThat(allocate(100, new double[] {INF}, ones(1), noCaps(1))).containsExactly(100);
    }

    @Test
    void oneLightWorkspaceGetsItsDemandAndNoMore() {
        assertThat(allocate(100, new double[] {30}, ones(1), noCaps(1))).containsExactly(30);
    }

    @Test
    void allIdleGetNothing() {
        assertThat(allocate(100, new double[] {0, 0, 0}, ones(3), noCaps(3))).containsExactly(0, 0, 0);
    }

    @Test
    void noClaimantsIsNoWork() {
        assertThat(MaxMinAllocator.allocate(100, 0, new double[0], new double[0], new double[0], new double[0])).isZero();
    }

    @Test
    void whatALightWorkspaceLeavesGoesToTheBackloggedOnes() {
        // L = 100/3 > 10, so the light one is fixed at 10; then L = 90/2 = 45.
        assertThat(allocate(100, new double[] {10, INF, INF}, ones(3), noCaps(3))).containsExactly(10, 45, 45);
    }

    @Test
    void classicMaxMinExample() {
        // Capacity 10 over demands 2, 2.6, 4, 5: L = 2.5 fixes 2; L = 8/3 fixes 2.6; L = 5.4/2 = 2.7.
        assertThat(allocate(10, new double[] {2, 2.6, 4, 5}, ones(4), noCaps(4)))
                .containsExactly(new double[] {2, 2.6, 2.7, 2.7}, within(1e-9));
    }

    @Test
    void weightsOneTwoFourShareInSevenths() {
        assertThat(allocate(70, new double[] {INF, INF, INF}, new double[] {1, 2, 4}, noCaps(3)))
                .containsExactly(new double[] {10, 20, 40}, within(1e-9));
    }

    @Test
    void aLightWorkspaceWithAHighWeightStillGetsOnlyItsDemand() {
        // L = 65/4 = 16.25: 5 <= 16.25 fixed; then L = 60/3 = 20 gives 20 and 2 * 20 = 40.
        assertThat(allocate(65, new double[] {5, INF, INF}, new double[] {2, 1, 2}, noCaps(3)))
                .containsExactly(new double[] {5, 20, 40}, within(1e-9));
    }

    @Test
    void aCapBelowTheFairShareIsHonouredAndTheRestRedistributed() {
        assertThat(allocate(100, new double[] {INF, INF}, ones(2), new double[] {30, NO_CAP}))
                .containsExactly(30, 70);
    }

    @Test
    void capsAboveTheCapacityChangeNothing() {
        assertThat(allocate(100, new double[] {INF, INF}, ones(2), new double[] {500, 1000}))
                .containsExactly(50, 50);
        assertThat(allocate(100, new double[] {INF}, ones(1), new double[] {500})).containsExactly(100);
    }

    @Test
    void unlimitedCapacityLeavesOnlyCapsAndDemands() {
        assertThat(allocate(INF, new double[] {INF, 50, INF}, ones(3), new double[] {30, NO_CAP, NO_CAP}))
                .containsExactly(30, 50, INF);
    }

    @Test
    void zeroCapacityGivesNothing() {
        assertThat(allocate(0, new double[] {INF, 5}, ones(2), noCaps(2))).containsExactly(0, 0);
    }

    @Test
    void allocationNeverExceedsCapacityNorAnyLimit() {
        java.util.Random random = new java.util.Random(7);
        for (int round = 0; round < 1000; round++) {
            int n = 1 + random.nextInt(20);
            double[] demand = new double[n];
            double[] weight = new double[n];
            double[] cap = new double[n];
            for (int i = 0; i < n; i++) {
                demand[i] = random.nextInt(4) == 0 ? INF : random.nextDouble() * 100;
                weight[i] = 0.5 + random.nextInt(8);
                cap[i] = random.nextInt(3) == 0 ? random.nextDouble() * 80 : NO_CAP;
            }
            double capacity = random.nextDouble() * 500;
            double[] out = allocate(capacity, demand, weight, cap);
            double total = 0;
            double highestUnsatisfiedLevel = 0;
            double lowestLevelOfLimited = INF;
            for (int i = 0; i < n; i++) {
                double limit = Math.min(demand[i], cap[i]);
                assertThat(out[i]).isBetween(0.0, limit + 1e-9);
                total += out[i];
                if (out[i] < limit - 1e-9) {
                    lowestLevelOfLimited = Math.min(lowestLevelOfLimited, out[i] / weight[i]);
                } else {
                    highestUnsatisfiedLevel = Math.max(highestUnsatisfiedLevel, out[i] / weight[i]);
                }
            }
            assertThat(total).isLessThanOrEqualTo(capacity + 1e-6);
            if (lowestLevelOfLimited < INF) {
                // Someone wanted more: the capacity is used up, and nobody satisfied sits above its level.
                assertThat(total).isCloseTo(capacity, within(1e-6));
                assertThat(highestUnsatisfiedLevel).isLessThanOrEqualTo(lowestLevelOfLimited + 1e-9);
            }
        }
    }

    @Test
    void refusesZeroNegativeAndInfiniteWeights() {
        for (double bad : new double[] {0, -1, INF, Double.NaN}) {
            assertThatThrownBy(() -> MaxMinAllocator.allocate(10, 1, new double[] {1}, new double[] {bad},
                    noCaps(1), new double[1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight[0]");
        }
    }

    @Test
    void refusesANegativeCapacityOrDemand() {
        assertThatThrownBy(() -> MaxMinAllocator.allocate(-1, 1, new double[] {1}, ones(1), noCaps(1), new double[1]))
                .hasMessageContaining("capacity");
        assertThatThrownBy(() -> MaxMinAllocator.allocate(1, 1, new double[] {-1}, ones(1), noCaps(1), new double[1]))
                .hasMessageContaining("demand");
    }
}
