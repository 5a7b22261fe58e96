package dev.portcullis.gateway.fairness;

/**
 * Weighted max-min fair allocation by progressive filling ("water-filling").
 *
 * <p>Every claimant {@code i} has a demand {@code d[i]}, a weight {@code w[i] > 0} and an optional cap
 * {@code c[i]}; its limit is {@code min(d[i], c[i])}. The water level {@code L} rises for everybody at
 * once, claimant {@code i} receiving {@code w[i] * L}, until either the capacity is used up or the
 * claimant reaches its limit, where it stays. The result is the unique allocation in which no
 * claimant can get more without taking from one whose allocation per unit of weight is not larger.
 * What one claimant does not want goes to the others (work-conserving): the allocations add up to
 * {@code min(capacity, sum of limits)}.
 *
 * <p>The level is found by rounds instead of a sort, so nothing is allocated: each round spreads the
 * remaining capacity over the unsatisfied claimants by weight and fixes those whose limit lies below
 * their spread share; a round that fixes nobody ends it. There are at most {@code n} rounds, in
 * practice a few (claimants come in a handful of kinds: backlogged, idle, light).
 *
 * <p>Infinity is allowed: an unlimited capacity gives everybody its limit, an unlimited demand
 * (a backlogged claimant) with no cap takes whatever the level gives it.
 */
public final class MaxMinAllocator {
    private MaxMinAllocator() {}

    /** No cap: the claimant is limited by its demand only. */
    public static final double NO_CAP = Double.POSITIVE_INFINITY;

    /**
     * Fills {@code allocation[0..n)} and returns their sum.
     *
     * @param capacity   what is shared; {@link Double#POSITIVE_INFINITY} for unlimited; >= 0
     * @param n          how many claimants (the arrays may be longer)
     * @param demand     what each wants; >= 0, may be infinite
     * @param weight     each claimant's weight; > 0 and finite
     * @param cap        each claimant's cap, {@link #NO_CAP} for none; >= 0
     * @param allocation where each claimant's share is written
     */
    public static double allocate(double capacity, int n, double[] demand, double[] weight, double[] cap,
                                  double[] allocation) {
        if (!(capacity >= 0)) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 0)");
        }
        double remaining = capacity;
        double unsatisfiedWeight = 0;
        for (int i = 0; i < n; i++) {
            if (!(weight[i] > 0) || Double.isInfinite(weight[i])) {
                throw new IllegalArgumentException("weight[" + i + "]: " + weight[i] + " (expected: > 0 and finite)");
            }
            double limit = Math.min(demand[i], cap[i]);
            if (!(limit >= 0)) {
                throw new IllegalArgumentException("demand/cap[" + i + "]: " + limit + " (expected: >= 0)");
            }
            // NaN marks "not fixed yet"; a claimant that wants nothing is fixed at 0 at once.
            if (limit == 0) {
                allocation[i] = 0;
            } else {
                allocation[i] = Double.NaN;
                unsatisfiedWeight += weight[i];
            }
        }
        boolean fixedSome = true;
        while (fixedSome && unsatisfiedWeight > 0) {
            fixedSome = false;
            double level = remaining / unsatisfiedWeight; // capacity per unit of weight this round
            for (int i = 0; i < n; i++) {
                if (!Double.isNaN(allocation[i])) {
                    continue;
                }
                double limit = Math.min(demand[i], cap[i]);
                if (limit <= level * weight[i]) {
                    allocation[i] = limit;
                    unsatisfiedWeight -= weight[i];
                    if (!Double.isInfinite(remaining)) {
                        remaining = Math.max(0, remaining - limit);
                    }
                    fixedSome = true;
                }
            }
        }
        double total = 0;
        double level = unsatisfiedWeight > 0 ? remaining / unsatisfiedWeight : 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(allocation[i])) {
                allocation[i] = level * weight[i]; // limited by the capacity: everybody left gets the level
            }
            total += allocation[i];
        }
        return total;
    }
}
