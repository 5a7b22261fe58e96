package dev.portcullis.agent.address;

import static java.util.Objects.requireNonNull;

/** An IPv6 network in CIDR form whose address has no host bits set, e.g. fd5e:7a31:c0de:1::/64. */
public record Ipv6Cidr(Ipv6Address network, int prefixLength) {

    public Ipv6Cidr {
        requireNonNull(network, "network");
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("prefix length: " + prefixLength + " (expected: 0-128)");
        }
        Ipv6Address masked = masked(network, prefixLength);
        if (!masked.equals(network)) {
            throw new IllegalArgumentException("network: " + network + "/" + prefixLength + " has host bits set (expected: "
                    + masked + "/" + prefixLength + ")");
        }
    }

    /** Accepts "addr/n"; a bare address means /128. */
    public static Ipv6Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("network: null (expected: CIDR such as fd5e:7a31:c0de:1::/64)");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new Ipv6Cidr(Ipv6Address.parse(text), 128);
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 3 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("network: '" + text + "' (expected: CIDR such as fd5e:7a31:c0de:1::/64)");
        }
        return new Ipv6Cidr(Ipv6Address.parse(text.substring(0, slash)), Integer.parseInt(length));
    }

    public boolean contains(Ipv6Address address) {
        return masked(address, prefixLength).equals(network);
    }

    public boolean overlaps(Ipv6Cidr other) {
        int shorter = Math.min(prefixLength, other.prefixLength);
        return masked(network, shorter).equals(masked(other.network, shorter));
    }

    private static Ipv6Address masked(Ipv6Address address, int prefixLength) {
        long highMask = prefixLength == 0 ? 0 : prefixLength >= 64 ? -1L : -1L << (64 - prefixLength);
        long lowMask = prefixLength <= 64 ? 0 : prefixLength == 128 ? -1L : -1L << (128 - prefixLength);
        return new Ipv6Address(address.high() & highMask, address.low() & lowMask);
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
