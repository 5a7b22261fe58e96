package dev.portcullis.policy;

/**
 * A closed range of TCP ports, {@code first..last}; a single port is a range of one.
 *
 * @param first the lowest port in the range, 1-65535
 * @param last the highest port in the range, {@code first}-65535
 */
public record PortRange(int first, int last) {

    public static final int MIN_PORT = 1;
    public static final int MAX_PORT = 65535;

    public PortRange {
        checkPort(first);
        checkPort(last);
        if (first > last) {
            throw new IllegalArgumentException(
                    "port range: " + first + '-' + last + " (expected: first <= last)");
        }
    }

    public static PortRange of(int port) {
        return new PortRange(port, port);
    }

    /**
     * @throws IllegalArgumentException naming the bad port and the accepted range
     */
    public static int checkPort(int port) {
        if (port < MIN_PORT || port > MAX_PORT) {
            throw new IllegalArgumentException(
                    "port: " + port + " (expected: " + MIN_PORT + '-' + MAX_PORT + ')');
        }
        return port;
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    public boolean overlaps(PortRange other) {
        return first <= other.last && other.first <= last;
    }

    @Override
    public String toString() {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }
}
