package dev.portcullis.loadtest;

/**
 * Jain's fairness index over per-tenant throughputs: {@code (sum x)^2 / (n * sum x^2)}. It is 1 when
 * all get the same, {@code k/n} when k of them share everything equally and the rest get nothing.
 */
final class JainIndex {
    private JainIndex() {}

    static double of(double[] throughputs) {
        if (throughputs.length == 0) {
            throw new IllegalArgumentException("throughputs: empty (expected: at least one)");
        }
        double sum = 0;
        double squares = 0;
        for (double x : throughputs) {
            sum += x;
            squares += x * x;
        }
        return squares == 0 ? 1 : sum * sum / (throughputs.length * squares);
    }
}
