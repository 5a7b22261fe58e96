package dev.portcullis.loadtest;

import java.util.Collection;

/** The median of repeated measurements: robust to the one run a noisy neighbour spoiled. */
final class Medians {
    private Medians() {}

    /** The middle value; with an even count, the mean of the two middle values. */
    static double of(Collection<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("values: empty (expected: at least one measurement)");
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** {@code value / reference}, or NaN when there is no reference to compare with. */
    static double ratio(double value, double reference) {
        return reference > 0 && !Double.isNaN(value) ? value / reference : Double.NaN;
    }
}
