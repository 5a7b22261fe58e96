package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.net.InetAddress;

/** An IPv4 or IPv6 network such as {@code 10.213.0.0/16}: where workspace addresses may be. */
public record AddressRange(InetAddress network, int prefixLength) {

    public AddressRange {
        requireNonNull(network, "network");
        int bits = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " (expected: 0-" + bits + ")");
        }
    }

    /** {@code <address>/<prefix length>}, host bits zero; never a name, so nothing is resolved. */
    public static AddressRange parse(String value) {
        requireNonNull(value, "value");
        int slash = value.indexOf('/');
        byte[] bytes = slash < 0 ? null : NetUtil.createByteArrayFromIpAddressString(value.substring(0, slash));
        int prefix = -1;
        if (bytes != null && value.substring(slash + 1).matches("\\d{1,3}")) {
            prefix = Integer.parseInt(value.substring(slash + 1));
        }
        if (bytes == null || prefix < 0 || prefix > bytes.length * 8) {
            throw new IllegalArgumentException("'" + value + "' (expected: a network such as 10.213.0.0/16 or fd00:213::/48)");
        }
        AddressRange range = new AddressRange(NetUtil.createInetAddressFromIpAddressString(value.substring(0, slash)), prefix);
        if (!range.network().equals(range.first())) {
            throw new IllegalArgumentException("'" + value + "' has host bits set (expected: "
                    + NetUtil.toAddressString(range.first()) + "/" + prefix + ")");
        }
        return range;
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        byte[] net = network.getAddress();
        if (candidate.length != net.length) {
            return false;
        }
        for (int bit = 0; bit < prefixLength; bit += 8) {
            int mask = prefixLength - bit >= 8 ? 0xff : (0xff << (8 - (prefixLength - bit))) & 0xff;
            if ((candidate[bit / 8] & mask) != (net[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** Whether every address of {@code other} is in this range. */
    public boolean encloses(AddressRange other) {
        return other.prefixLength >= prefixLength && contains(other.network);
    }

    /** The network address: the range's first address, host bits cleared. */
    private InetAddress first() {
        byte[] bytes = network.getAddress();
        for (int bit = 0; bit < bytes.length * 8; bit++) {
            if (bit >= prefixLength) {
                bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
            }
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // a 4- or 16-byte array is always an address
        }
    }

    @Override
    public String toString() {
        return NetUtil.toAddressString(network) + "/" + prefixLength;
    }
}
