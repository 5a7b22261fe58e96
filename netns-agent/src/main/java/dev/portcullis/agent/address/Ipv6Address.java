package dev.portcullis.agent.address;

import io.netty.util.NetUtil;
import java.nio.ByteBuffer;
import java.util.regex.Pattern;

/**
 * An IPv6 address held as its 128 bits. Parsing accepts only hex digits and colons (no zone, no
 * brackets, no embedded IPv4, never a host name); Netty's parser checks the grammar, so the agent
 * has no hand-written one. Printed in RFC 5952 form, which is what {@code ip} and {@code nft} print.
 */
public record Ipv6Address(long high, long low) {

    private static final Pattern CHARACTERS = Pattern.compile("[0-9a-fA-F:]{2,39}");

    public static Ipv6Address parse(String text) {
        if (text == null || !CHARACTERS.matcher(text).matches() || !NetUtil.isValidIpV6Address(text)) {
            throw new IllegalArgumentException("address: " + (text == null ? "null" : "'" + text + "'")
                    + " (expected: an IPv6 address such as fd5e:7a31:c0de:1::3)");
        }
        ByteBuffer bytes = ByteBuffer.wrap(NetUtil.createByteArrayFromIpAddressString(text));
        return new Ipv6Address(bytes.getLong(), bytes.getLong());
    }

    public Ipv6Address plus(long offset) {
        long low = this.low + offset;
        return new Ipv6Address(Long.compareUnsigned(low, this.low) < 0 ? high + 1 : high, low);
    }

    public byte[] bytes() {
        return ByteBuffer.allocate(16).putLong(high).putLong(low).array();
    }

    @Override
    public String toString() {
        return NetUtil.bytesToIpAddress(bytes());
    }
}
