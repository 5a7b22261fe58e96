package dev.portcullis.agent.address;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import java.util.Optional;

/**
 * Cuts the host's workspace range into equal slots, one per workspace: a /31 (host end, workspace
 * end) or a /30 (network, host end, workspace end, broadcast). Slot numbers are what is persisted,
 * so addresses follow from the plan and cannot drift apart from it.
 *
 * <p>With an IPv6 prefix (a ULA /64 per host), slot {@code n} also gets the {@code (n+1)}-th /127
 * of it: the host end the even address, the workspace the odd one ({@code fd..::2} and {@code
 * fd..::3} for slot 0). The first /127 is skipped because its even address is the /64's
 * subnet-router anycast address. A /127 per point-to-point link is what RFC 6164 recommends.
 */
public record AddressPlan(Ipv4Cidr range, int slotPrefixLength, Optional<Ipv6Cidr> ipv6Prefix) {

    public AddressPlan(Ipv4Cidr range, int slotPrefixLength) {
        this(range, slotPrefixLength, Optional.empty());
    }

    public AddressPlan {
        requireNonNull(range, "range");
        requireNonNull(ipv6Prefix, "ipv6Prefix");
        ipv6Prefix.ifPresent(AddressPlan::checkUniqueLocal64);
        if (slotPrefixLength != 30 && slotPrefixLength != 31) {
            throw new InvalidKeyException("slotPrefixLength", slotPrefixLength + " (expected: 30 or 31)");
        }
        if (range.prefixLength() > slotPrefixLength) {
            throw new InvalidKeyException("addressRange", range + " is smaller than one /" + slotPrefixLength
                    + " slot (expected: a prefix length of at most " + slotPrefixLength + ")");
        }
    }

    public int slotCount() {
        return (int) Math.min(Integer.MAX_VALUE, range.size() >> (32 - slotPrefixLength));
    }

    public Slot slot(int index) {
        if (index < 0 || index >= slotCount()) {
            throw new IllegalArgumentException("slot: " + index + " (expected: 0-" + (slotCount() - 1) + " in " + range + ")");
        }
        Ipv4Address first = range.network().plus((long) index << (32 - slotPrefixLength));
        Ipv4Address host = slotPrefixLength == 31 ? first : first.plus(1);
        return new Slot(index, new Ipv4Cidr(first, slotPrefixLength), host, host.plus(1), ipv6Prefix.map(prefix -> {
            Ipv6Address hostEnd = prefix.network().plus(2L * (index + 1L));
            return new Ipv6Link(new Ipv6Cidr(hostEnd, 127), hostEnd, hostEnd.plus(1));
        }));
    }

    /** The host's workspace prefix must be one /64 of the unique local range fd00::/8 (RFC 4193). */
    private static void checkUniqueLocal64(Ipv6Cidr prefix) {
        if (prefix.prefixLength() != 64 || (prefix.network().high() >>> 56) != 0xfd) {
            throw new InvalidKeyException("workspaceIpv6Prefix", prefix + " (expected: a unique local /64 inside"
                    + " fd00::/8, e.g. fd5e:7a31:c0de:1::/64, with the 40 bits after fd chosen at random as RFC 4193 says)");
        }
    }

    /** The slot whose workspace end is {@code address}, or -1 when no slot has it. */
    public int slotOfWorkspaceAddress(Ipv4Address address) {
        if (!range.contains(address)) {
            return -1;
        }
        long offset = address.unsigned() - range.network().unsigned();
        int index = (int) (offset >> (32 - slotPrefixLength));
        return slot(index).workspace().equals(address) ? index : -1;
    }

    /**
     * One workspace's addresses: the link network, the host end and the workspace end; and the same
     * in IPv6 when the host has a prefix.
     */
    public record Slot(int index, Ipv4Cidr network, Ipv4Address host, Ipv4Address workspace, Optional<Ipv6Link> ipv6) {}

    /** One workspace's IPv6 /127: the host end (even) and the workspace end (odd). */
    public record Ipv6Link(Ipv6Cidr network, Ipv6Address host, Ipv6Address workspace) {}
}
