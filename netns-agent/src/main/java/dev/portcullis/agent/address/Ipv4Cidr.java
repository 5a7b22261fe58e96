package dev.portcullis.agent.address;

import static java.util.Objects.requireNonNull;

/** An IPv4 network in CIDR form whose address has no host bits set, e.g. 10.213.0.0/24. */
public record Ipv4Cidr(Ipv4Address network, int prefixLength) {

    public Ipv4Cidr {
        requireNonNull(network, "network");
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length: " + prefixLength + " (expected: 0-32)");
        }
        if ((network.bits() & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("network: " + network + "/" + prefixLength
                    + " has host bits set (expected: " + new Ipv4Address(network.bits() & mask(prefixLength))
                    + "/" + prefixLength + ")");
        }
    }

    /** Accepts "a.b.c.d/n"; a bare address means /32. */
    public static Ipv4Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("network: null (expected: CIDR such as 10.213.0.0/24)");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new Ipv4Cidr(Ipv4Address.parse(text), 32);
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("network: '" + text + "' (expected: CIDR such as 10.213.0.0/24)");
        }
        return new Ipv4Cidr(Ipv4Address.parse(text.substring(0, slash)), Integer.parseInt(length));
    }

    public long size() {
        return 1L << (32 - prefixLength);
    }

    public boolean contains(Ipv4Address address) {
        return (address.bits() & mask(prefixLength)) == network.bits();
    }

    public boolean overlaps(Ipv4Cidr other) {
        int shorter = Math.min(prefixLength, other.prefixLength);
        return (network.bits() & mask(shorter)) == (other.network.bits() & mask(shorter));
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }
}
