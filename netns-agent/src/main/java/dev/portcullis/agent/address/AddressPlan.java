package dev.portcullis.agent.address;

import static java.util.Objects.requireNonNull;

/**
 * Cuts the host's workspace range into equal slots, one per workspace: a /31 (host end, workspace
 * end) or a /30 (network, host end, workspace end, broadcast). Slot numbers are what is persisted,
 * so addresses follow from the plan and cannot drift apart from it.
 */
public record AddressPlan(Ipv4Cidr range, int slotPrefixLength) {

    public AddressPlan {
        requireNonNull(range, "range");
        if (slotPrefixLength != 30 && slotPrefixLength != 31) {
            throw new IllegalArgumentException("slotPrefixLength: " + slotPrefixLength + " (expected: 30 or 31)");
        }
        if (range.prefixLength() > slotPrefixLength) {
            throw new IllegalArgumentException("addressRange: " + range + " is smaller than one /" + slotPrefixLength
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
        return new Slot(index, new Ipv4Cidr(first, slotPrefixLength), host, host.plus(1));
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

    /** One workspace's addresses: the link network, the host end and the workspace end. */
    public record Slot(int index, Ipv4Cidr network, Ipv4Address host, Ipv4Address workspace) {}
}
