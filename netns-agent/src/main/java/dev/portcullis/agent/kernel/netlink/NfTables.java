package dev.portcullis.agent.kernel.netlink;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Elements of nf_tables sets and maps added and deleted over netlink, from the agent itself: one
 * nfnetlink batch per change (one transaction, all or nothing, as {@code nft -f} gives) on a host
 * socket lent for it ({@link NetlinkSocket#hostNetfilter}; the agent's threads are always in the
 * host's namespace).
 *
 * <p>Why not through {@code nft}: a create's three elements through the long-lived {@code nft -i}
 * cost 4-10 ms p50 on an idle machine (nft fetches its cache over netlink for every command, parses
 * the line, answers through a pipe) and 57 ms with 20 creates at once; the same batch sent from here
 * is one send and one receive. Only elements are done here (fixed-size keys of the agent's own hash
 * sets); the table itself, with its chains and rules, still goes through {@code nft -f}. Hand-written
 * for the reason given in {@link NetlinkMessage}: libnftnl has no maintained Java binding.
 */
public final class NfTables {

    /** NFPROTO_INET: the table family {@code inet}. */
    private static final int FAMILY_INET = 1;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFT_MSG_NEWSETELEM = 12;
    private static final int NFT_MSG_DELSETELEM = 14;
    private static final int NFTA_SET_ELEM_LIST_TABLE = 1;
    private static final int NFTA_SET_ELEM_LIST_SET = 2;
    private static final int NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    private static final int NFTA_LIST_ELEM = 1;
    private static final int NFTA_SET_ELEM_KEY = 1;
    private static final int NFTA_SET_ELEM_DATA = 2;
    private static final int NFTA_DATA_VALUE = 1;
    /** IFNAMSIZ: an {@code ifname} key is the name padded with NULs to 16 bytes. */
    private static final int IFNAME_LENGTH = 16;

    /** One element: its key as the kernel stores it, and for a map its value (null in a set). */
    public record Element(byte[] key, byte[] data) {
        public Element {
            requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "key " + Arrays.toString(key) + (data == null ? "" : " data " + Arrays.toString(data));
        }
    }

    private NfTables() {}

    /** Adds elements (per set or map name) to {@code table}; an element that is there already is no change, as nft's {@code add}. */
    public static void add(String family, String table, Map<String, List<Element>> elements) {
        change(NFT_MSG_NEWSETELEM, NetlinkSocket.NLM_F_CREATE, "add", family, table, elements);
    }

    /** Deletes elements; when one of them is missing nothing is deleted (ENOENT), as nft's {@code delete element}. */
    public static void delete(String family, String table, Map<String, List<Element>> elements) {
        change(NFT_MSG_DELSETELEM, 0, "delete", family, table, elements);
    }

    private static void change(int message, int flags, String verb, String family, String table,
            Map<String, List<Element>> elements) {
        requireNonNull(table, "table");
        if (!"inet".equals(family)) {
            throw new IllegalArgumentException("family: " + family + " (expected: inet, the agent's table's family)");
        }
        List<NetlinkMessage> messages = new ArrayList<>();
        List<String> operations = new ArrayList<>();
        elements.forEach((set, members) -> {
            if (members.isEmpty()) {
                return;
            }
            NetlinkMessage request = new NetlinkMessage((NFNL_SUBSYS_NFTABLES << 8) | message, 0)
                    .u8(FAMILY_INET).u8(0).bigEndianShort(0) // nfgenmsg: family, version 0, no generation check
                    .attribute(NFTA_SET_ELEM_LIST_TABLE, table)
                    .attribute(NFTA_SET_ELEM_LIST_SET, set);
            request.extraFlags(flags);
            int list = request.begin(NFTA_SET_ELEM_LIST_ELEMENTS);
            for (Element element : members) {
                int item = request.begin(NFTA_LIST_ELEM);
                int key = request.begin(NFTA_SET_ELEM_KEY);
                request.attribute(NFTA_DATA_VALUE, element.key()).end(key);
                if (element.data() != null) {
                    int data = request.begin(NFTA_SET_ELEM_DATA);
                    request.attribute(NFTA_DATA_VALUE, element.data()).end(data);
                }
                request.end(item);
            }
            request.end(list);
            messages.add(request);
            operations.add(verb + " " + members.size() + " element" + (members.size() == 1 ? "" : "s") + " of "
                    + set + " in table " + family + " " + table);
        });
        if (messages.isEmpty()) {
            return;
        }
        try (NetlinkSocket socket = NetlinkSocket.hostNetfilter()) {
            socket.transaction(messages, operations);
        }
    }

    /** An {@code ifname} key: the name, NUL-padded to 16 bytes. */
    public static byte[] ifname(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length >= IFNAME_LENGTH || bytes.length == 0) {
            throw new IllegalArgumentException("interface name: '" + name + "' (expected: 1-15 characters)");
        }
        return Arrays.copyOf(bytes, IFNAME_LENGTH);
    }

    /** A {@code classid} value ("7063:10", hex major and minor): one 32-bit number in the host's byte order, as tc keeps it. */
    public static byte[] classId(String handle) {
        String[] parts = handle.split(":", 2);
        if (parts.length != 2 || !parts[0].matches("[0-9a-f]{1,4}") || !parts[1].matches("[0-9a-f]{1,4}")) {
            throw new IllegalArgumentException("class id: '" + handle + "' (expected: major:minor in hex, e.g. 7063:10)");
        }
        int value = Integer.parseInt(parts[0], 16) << 16 | Integer.parseInt(parts[1], 16);
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    /** A concatenated key ({@code ifname . ipv4_addr}): each part padded to 4 bytes, as nf_tables' registers hold them. */
    public static byte[] concat(byte[]... parts) {
        ByteBuffer key = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> (p.length + 3) & ~3).sum());
        for (byte[] part : parts) {
            key.put(part).position((key.position() + 3) & ~3);
        }
        return key.array();
    }
}
