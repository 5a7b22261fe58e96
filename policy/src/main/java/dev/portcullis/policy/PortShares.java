package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * The shares of one workspace, at most one per port. Looked up on every request, so ports are kept
 * in a sorted {@code int[]}: no boxing, no hashing.
 */
public final class PortShares {

    private static final PortShares NONE = new PortShares(List.of());

    private final int[] ports;
    private final PortShare[] shares;

    private PortShares(List<PortShare> sorted) {
        ports = new int[sorted.size()];
        shares = sorted.toArray(new PortShare[0]);
        for (int i = 0; i < shares.length; i++) {
            ports[i] = shares[i].port();
        }
    }

    public static PortShares none() {
        return NONE;
    }

    /**
     * @throws IllegalArgumentException when two shares name the same port
     */
    public static PortShares of(Collection<PortShare> shares) {
        requireNonNull(shares, "shares");
        final List<PortShare> sorted = new ArrayList<>(shares);
        sorted.forEach(share -> requireNonNull(share, "share"));
        sorted.sort(Comparator.comparingInt(PortShare::port));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).port() == sorted.get(i - 1).port()) {
                throw new IllegalArgumentException(
                        "shares: port " + sorted.get(i).port() + " is shared twice (expected: one share per port)");
            }
        }
        return new PortShares(sorted);
    }

    public static PortShares of(PortShare... shares) {
        return of(Arrays.asList(shares));
    }

    /** The share of {@code port}, or {@code null} when the port is not shared. */
    public PortShare forPort(int port) {
        final int i = Arrays.binarySearch(ports, port);
        return i >= 0 ? shares[i] : null;
    }

    public List<PortShare> all() {
        return Collections.unmodifiableList(Arrays.asList(shares));
    }

    @Override
    public String toString() {
        return "PortShares" + Arrays.toString(shares);
    }
}
