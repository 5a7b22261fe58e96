package dev.portcullis.agent.kernel.netlink;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * tc over rtnetlink in one namespace (that of its socket): the HTB root, its classes, a pfifo leaf and
 * u32 filters, as {@code tc} sends them, and dumps of what a link has. HTB classes are sent with a
 * link-layer-aware rate spec, so the kernel computes their timing itself and needs none of the rate
 * tables old {@code tc} versions send along.
 */
public final class TrafficControl {

    private static final int RTM_NEWQDISC = 36;
    private static final int RTM_DELQDISC = 37;
    private static final int RTM_GETQDISC = 38;
    private static final int RTM_NEWTCLASS = 40;
    private static final int RTM_GETTCLASS = 42;
    private static final int RTM_NEWTFILTER = 44;
    private static final int RTM_DELTFILTER = 45;
    private static final int RTM_GETTFILTER = 46;
    private static final int TCA_KIND = 1;
    private static final int TCA_OPTIONS = 2;
    private static final int TCA_HTB_PARMS = 1;
    private static final int TCA_HTB_INIT = 2;
    private static final int TCA_HTB_RATE64 = 6;
    private static final int TCA_HTB_CEIL64 = 7;
    private static final int TCA_TBF_PARMS = 1;
    private static final int TCA_TBF_RATE64 = 4;
    private static final int TCA_U32_CLASSID = 1;
    private static final int TCA_U32_DIVISOR = 4;
    private static final int TCA_U32_SEL = 5;
    private static final int TC_U32_TERMINAL = 1;
    private static final int TC_LINKLAYER_ETHERNET = 1;
    public static final int TC_H_ROOT = 0xFFFFFFFF;
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_IPV6 = 0x86DD;
    /** The kernel counts HTB's buffers in ticks of 64 ns (PSCHED_SHIFT). */
    private static final int NANOS_PER_TICK = 64;
    private static final int MTU = 1600;

    /** A qdisc: its kind, handle, parent, for HTB the default class's minor number, for TBF its rate in bytes/s. */
    public record Qdisc(String kind, int handle, int parent, int htbDefaultClass, long rateBytes) {}

    /** One HTB class: its id and rate and ceiling in bytes per second. */
    public record HtbClass(int classId, int parent, long rateBytes, long ceilBytes) {}

    /** One 32-bit match of a u32 filter: value and mask (as the packet has them, big-endian) at an offset. */
    public record U32Key(int value, int mask, int offset) {}

    /**
     * One filter entry of a dump. For a u32 filter: its protocol (ETH_P_IP …), priority, target class
     * (flowid) and keys; {@code hashTable} for the u32 hash-table entries the kernel lists before its
     * filters. {@code kind} is "u32" or whatever else someone added.
     */
    public record Filter(String kind, int protocol, int priority, int classId, boolean hashTable, List<U32Key> keys) {}

    private final NetlinkSocket socket;

    public TrafficControl(NetlinkSocket socket) {
        this.socket = requireNonNull(socket, "socket");
    }

    /** {@code tc qdisc add dev D root handle MAJOR: htb default DEFAULT}. */
    public void addHtbRoot(int index, String device, int major, int defaultClass) {
        NetlinkMessage request = tcmsg(RTM_NEWQDISC, index, major << 16, TC_H_ROOT, 0).attribute(TCA_KIND, "htb");
        int options = request.beginPlain(TCA_OPTIONS);
        byte[] glob = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder())
                .putInt(3).putInt(10).putInt(defaultClass).putInt(0).putInt(0).array(); // version 3, r2q 10
        request.attribute(TCA_HTB_INIT, glob).end(options);
        change(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL,
                "add HTB root " + handle(major << 16) + " on " + device);
    }

    /** {@code tc qdisc del dev D root}: ENOENT when the link has only the kernel's default. */
    public void deleteRoot(int index, String device) {
        change(tcmsg(RTM_DELQDISC, index, 0, TC_H_ROOT, 0), 0, "delete the root qdisc of " + device);
    }

    /**
     * {@code tc class replace dev D parent P classid C htb rate R ceil R}: made or changed in place.
     * Burst: what the rate sends in a millisecond plus one packet, as tc's default.
     */
    public void replaceHtbClass(int index, String device, int parent, int classId, long rateBytes, long ceilBytes) {
        NetlinkMessage request = tcmsg(RTM_NEWTCLASS, index, classId, parent, 0).attribute(TCA_KIND, "htb");
        int options = request.beginPlain(TCA_OPTIONS);
        ByteBuffer parms = ByteBuffer.allocate(44).order(ByteOrder.nativeOrder());
        rateSpec(parms, rateBytes);
        rateSpec(parms, ceilBytes);
        parms.putInt(ticks(rateBytes / 1000 + MTU, rateBytes)).putInt(ticks(ceilBytes / 1000 + MTU, ceilBytes))
                .putInt(0).putInt(0).putInt(0); // quantum (the kernel derives it from r2q), level, prio
        request.attribute(TCA_HTB_PARMS, parms.array());
        if (rateBytes >= 1L << 32) {
            request.attributeU64(TCA_HTB_RATE64, rateBytes);
        }
        if (ceilBytes >= 1L << 32) {
            request.attributeU64(TCA_HTB_CEIL64, ceilBytes);
        }
        request.end(options);
        change(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_REPLACE,
                "set HTB class " + handle(classId) + " on " + device + " to " + rateBytes * 8 + " bit/s");
    }

    /** {@code tc qdisc replace dev D parent P handle H pfifo limit L}. */
    public void replacePfifo(int index, String device, int parent, int handle, int limit) {
        NetlinkMessage request = tcmsg(RTM_NEWQDISC, index, handle, parent, 0).attribute(TCA_KIND, "pfifo")
                .attribute(TCA_OPTIONS, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(limit).array());
        change(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_REPLACE,
                "set pfifo leaf " + handle(handle) + " under " + handle(parent) + " on " + device);
    }

    /** {@code tc filter del dev D parent P}: every filter there; none there is fine. */
    public void deleteFilters(int index, String device, int parent) {
        change(tcmsg(RTM_DELTFILTER, index, 0, parent, 0), 0, "delete the filters under " + handle(parent) + " on " + device);
    }

    /**
     * {@code tc filter add dev D parent P protocol PROTO prio PRIO u32 match … flowid F}: packets whose
     * every key matches go to class F.
     */
    public void addU32Filter(int index, String device, int parent, int protocol, int priority, List<U32Key> keys,
            int flowId) {
        int info = priority << 16 | Short.toUnsignedInt(Short.reverseBytes((short) protocol));
        NetlinkMessage request = tcmsg(RTM_NEWTFILTER, index, 0, parent, info).attribute(TCA_KIND, "u32");
        int options = request.beginPlain(TCA_OPTIONS);
        request.attributeU32(TCA_U32_CLASSID, flowId);
        ByteBuffer selector = ByteBuffer.allocate(16 + 16 * keys.size()).order(ByteOrder.nativeOrder());
        selector.put((byte) TC_U32_TERMINAL).put((byte) 0).put((byte) keys.size()).put((byte) 0)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0);
        for (U32Key key : keys) {
            selector.order(ByteOrder.BIG_ENDIAN).putInt(key.mask()).putInt(key.value()).order(ByteOrder.nativeOrder())
                    .putInt(key.offset()).putInt(0);
        }
        request.attribute(TCA_U32_SEL, selector.array()).end(options);
        change(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL,
                "add u32 filter prio " + priority + " to " + handle(flowId) + " on " + device);
    }

    /** The root qdisc of link {@code index} (one dump of the namespace's qdiscs); empty when the link is gone. */
    public Optional<Qdisc> root(int index) {
        return qdiscs().stream().filter(q -> q.index == index && q.qdisc.parent() == TC_H_ROOT).map(q -> q.qdisc).findFirst();
    }

    /** A qdisc of the dump with its link's index. */
    public record LinkQdisc(int index, Qdisc qdisc) {}

    /** Every qdisc of every link of the namespace: one dump. */
    public List<LinkQdisc> qdiscs() {
        List<LinkQdisc> qdiscs = new ArrayList<>();
        for (NetlinkSocket.Reply reply : socket.dump(tcmsg(RTM_GETQDISC, 0, 0, 0, 0), "list qdiscs in " + socket.where())) {
            ByteBuffer payload = reply.payload();
            Attributes attributes = new Attributes(payload, 20, payload.remaining());
            String kind = attributes.string(TCA_KIND).orElse("");
            int defaultClass = kind.equals("htb") ? attributes.nested(TCA_OPTIONS).flatMap(o -> o.bytes(TCA_HTB_INIT))
                    .filter(b -> b.remaining() >= 12).map(b -> b.getInt(8)).orElse(0) : 0;
            long tbfRate = kind.equals("tbf") ? attributes.nested(TCA_OPTIONS).flatMap(o -> o.u64(TCA_TBF_RATE64)
                    .or(() -> o.bytes(TCA_TBF_PARMS).filter(b -> b.remaining() >= 12)
                            .map(b -> Integer.toUnsignedLong(b.getInt(8))))).orElse(0L) : 0;
            qdiscs.add(new LinkQdisc(payload.getInt(4),
                    new Qdisc(kind, payload.getInt(8), payload.getInt(12), defaultClass, tbfRate)));
        }
        return qdiscs;
    }

    /** The HTB classes of one link (one dump). */
    public List<HtbClass> htbClasses(int index, String device) {
        List<HtbClass> classes = new ArrayList<>();
        for (NetlinkSocket.Reply reply : socket.dump(tcmsg(RTM_GETTCLASS, index, 0, 0, 0),
                "list classes of " + device + " in " + socket.where())) {
            ByteBuffer payload = reply.payload();
            if (payload.getInt(4) != index) {
                continue;
            }
            Attributes attributes = new Attributes(payload, 20, payload.remaining());
            if (!attributes.string(TCA_KIND).orElse("").equals("htb")) {
                continue;
            }
            Optional<Attributes> options = attributes.nested(TCA_OPTIONS);
            Optional<ByteBuffer> parms = options.flatMap(o -> o.bytes(TCA_HTB_PARMS)).filter(b -> b.remaining() >= 24);
            long rate = options.flatMap(o -> o.u64(TCA_HTB_RATE64))
                    .orElse(parms.map(b -> Integer.toUnsignedLong(b.getInt(8))).orElse(0L));
            long ceil = options.flatMap(o -> o.u64(TCA_HTB_CEIL64))
                    .orElse(parms.map(b -> Integer.toUnsignedLong(b.getInt(20))).orElse(0L));
            classes.add(new HtbClass(payload.getInt(8), payload.getInt(12), rate, ceil));
        }
        return classes;
    }

    /** The filters under {@code parent} of one link (one dump). */
    public List<Filter> filters(int index, String device, int parent) {
        List<Filter> filters = new ArrayList<>();
        for (NetlinkSocket.Reply reply : socket.dump(tcmsg(RTM_GETTFILTER, index, 0, parent, 0),
                "list filters of " + device + " in " + socket.where())) {
            ByteBuffer payload = reply.payload();
            int info = payload.getInt(16);
            int protocol = Short.toUnsignedInt(Short.reverseBytes((short) (info & 0xffff)));
            int priority = info >>> 16;
            Attributes attributes = new Attributes(payload, 20, payload.remaining());
            String kind = attributes.string(TCA_KIND).orElse("");
            Optional<Attributes> options = attributes.nested(TCA_OPTIONS);
            if (payload.getInt(8) == 0 && options.isEmpty()) {
                continue; // the head of a chain of one priority, no filter itself
            }
            boolean hashTable = options.map(o -> o.has(TCA_U32_DIVISOR)).orElse(false);
            int classId = options.flatMap(o -> o.u32(TCA_U32_CLASSID)).orElse(0);
            List<U32Key> keys = new ArrayList<>();
            options.flatMap(o -> o.bytes(TCA_U32_SEL)).ifPresent(selector -> {
                int count = selector.get(2) & 0xff;
                for (int i = 0; i < count && 16 + 16 * i + 16 <= selector.remaining(); i++) {
                    int at = 16 + 16 * i;
                    keys.add(new U32Key(Integer.reverseBytes(selector.getInt(at + 4)) ,
                            Integer.reverseBytes(selector.getInt(at)), selector.getInt(at + 8)));
                }
            });
            filters.add(new Filter(kind, protocol, priority, classId, hashTable, keys));
        }
        return filters;
    }

    private void change(NetlinkMessage request, int flags, String operation) {
        request.extraFlags(flags);
        socket.change(request, operation + " in " + socket.where());
    }

    private static NetlinkMessage tcmsg(int type, int index, int handle, int parent, int info) {
        return new NetlinkMessage(type, 0).u8(0).u8(0).u16(0).u32(index).u32(handle).u32(parent).u32(info);
    }

    private static void rateSpec(ByteBuffer buffer, long rateBytes) {
        buffer.put((byte) 0).put((byte) TC_LINKLAYER_ETHERNET).putShort((short) 0).putShort((short) 0)
                .putShort((short) 0).putInt((int) Math.min(rateBytes, 0xFFFFFFFFL));
    }

    private static int ticks(long bytes, long rateBytes) {
        return (int) Math.min(Integer.MAX_VALUE, bytes * 1_000_000_000L / rateBytes / NANOS_PER_TICK);
    }

    /** "1:10" for 0x00010010, as tc writes handles. */
    public static String handle(int handle) {
        if (handle == TC_H_ROOT) {
            return "root";
        }
        return Integer.toHexString(handle >>> 16) + ":" + ((handle & 0xffff) == 0 ? "" : Integer.toHexString(handle & 0xffff));
    }
}
