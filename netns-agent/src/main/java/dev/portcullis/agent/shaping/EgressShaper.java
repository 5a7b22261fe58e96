package dev.portcullis.agent.shaping;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Address;
import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.agent.kernel.CommandBatch;
import dev.portcullis.agent.kernel.CommandRunner;
import dev.portcullis.agent.kernel.netlink.Links;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.kernel.netlink.TrafficControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Limits what leaves one link. A workspace's egress is shaped on its eth0, inside its namespace:
 * that is where its egress leaves, and the namespace belongs to the host's user namespace, so a
 * process in the workspace cannot remove it without CAP_NET_ADMIN there. Its ingress is shaped on
 * the host end of its veth, whose egress is exactly what enters the workspace.
 */
public final class EgressShaper {

    private static final int ROOT_HANDLE = 0x10000; // 1:
    static final int CLASS = 0x10010; // 1:10
    private static final int DEFAULT_CLASS_MINOR = 0x10;
    private static final int LEAF_HANDLE = 0x100000; // 10:
    /** HTB's direct queue: a filter's flowid naming the qdisc itself ("1:") bypasses every class. */
    private static final int DIRECT = ROOT_HANDLE;

    private final CommandRunner commands;
    private final ShapingMode mode;

    public EgressShaper(CommandRunner commands, ShapingMode mode) {
        this.commands = requireNonNull(commands, "commands");
        this.mode = requireNonNull(mode, "mode");
    }

    /**
     * Tries HTB, then TBF, on the loopback of a throwaway namespace; the host's own links are never
     * touched by the probe.
     */
    public static ShapingMode probe(CommandRunner commands, String probeNamespace) {
        commands.run("ip", "netns", "delete", probeNamespace);
        if (!commands.run("ip", "netns", "add", probeNamespace).ok()) {
            return ShapingMode.NONE;
        }
        try {
            if (commands.run("tc", "-n", probeNamespace, "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb").ok()) {
                return ShapingMode.HTB;
            }
            if (commands.run("tc", "-n", probeNamespace, "qdisc", "add", "dev", "lo", "root", "tbf",
                    "rate", "1mbit", "burst", "32kb", "latency", "50ms").ok()) {
                return ShapingMode.TBF;
            }
            return ShapingMode.NONE;
        } finally {
            commands.run("ip", "netns", "delete", probeNamespace);
        }
    }

    public ShapingMode mode() {
        return mode;
    }

    /**
     * Sets the limit of one link over netlink (the socket of the link's namespace); 0 Mbit/s removes
     * any limit. Idempotent and convergent: the HTB root is added only when the link lacks exactly
     * ours, because on current kernels (6.18) a replace of an existing HTB root fails ("Change
     * operation not supported"); the class and the leaf are replaced, which sets their parameters
     * whatever they were, and the filters of the exemption are deleted and added again. TBF has no
     * classes, so it cannot exempt anything; it is the fallback for a kernel without HTB and still goes
     * through one {@code tc} process.
     *
     * @param namespace the link's namespace, null for the host's (for the TBF fallback's process)
     * @param socket a netlink socket in the link's namespace
     * @param fresh the link was made just now and has only the kernel's default root: nothing to read
     */
    public void apply(String namespace, NetlinkSocket socket, String device, int mbit, boolean fresh, Exemption exempt) {
        requireNonNull(exempt, "exempt");
        TrafficControl tc = new TrafficControl(socket);
        int index = new Links(socket).requireIndex(device);
        Root root = fresh ? Root.DEFAULT : root(tc, index);
        if (mbit == 0 || mode == ShapingMode.NONE) {
            if (root != Root.DEFAULT) {
                tc.deleteRoot(index, device);
            }
            return;
        }
        if (mode == ShapingMode.TBF) {
            CommandBatch.tc(commands, namespace).add("qdisc", "replace", "dev", device, "root", "tbf", "rate",
                    mbit + "mbit", "burst", "64kb", "latency", "50ms").run();
            return;
        }
        if (root != Root.OURS_HTB) {
            if (root != Root.DEFAULT) {
                tc.deleteRoot(index, device); // someone else's root (or ours with other settings): HTB cannot be changed in place
            }
            tc.addHtbRoot(index, device, 1, DEFAULT_CLASS_MINOR);
        } else {
            tc.deleteFilters(index, device, ROOT_HANDLE); // all of them; none there is fine
        }
        long bytes = mbit * 1_000_000L / 8;
        tc.replaceHtbClass(index, device, ROOT_HANDLE, CLASS, bytes, bytes);
        tc.replacePfifo(index, device, CLASS, LEAF_HANDLE, 1000);
        for (Ipv4Cidr network : exempt.networks()) {
            tc.addU32Filter(index, device, ROOT_HANDLE, TrafficControl.ETH_P_IP, 1, List.of(new TrafficControl.U32Key(
                    network.network().bits(), mask(network.prefixLength()), exempt.side().offset)), DIRECT);
        }
        // Filters of one priority share one protocol, so IPv6 gets a priority of its own.
        for (Ipv6Cidr network : exempt.ipv6Networks()) {
            tc.addU32Filter(index, device, ROOT_HANDLE, TrafficControl.ETH_P_IPV6, 2, ipv6Keys(network, exempt.side()), DIRECT);
        }
    }

    /** As {@code tc … u32 match ip6 dst NETWORK}: one key per 32-bit word the prefix covers. */
    private static List<TrafficControl.U32Key> ipv6Keys(Ipv6Cidr network, Exemption.Side side) {
        long[] words64 = {network.network().high(), network.network().low()};
        List<TrafficControl.U32Key> keys = new ArrayList<>();
        for (int word = 0; word < 4; word++) {
            int covered = Math.max(0, Math.min(32, network.prefixLength() - 32 * word));
            if (covered == 0) {
                break;
            }
            int value = (int) (word % 2 == 0 ? words64[word / 2] >>> 32 : words64[word / 2]);
            int mask = mask(covered);
            keys.add(new TrafficControl.U32Key(value & mask, mask, side.ipv6Offset + 4 * word));
        }
        return keys;
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** What sits at the root of a link, as far as {@link #apply} cares. */
    private enum Root {
        /** None, or the kernel's noqueue/pfifo_fast: nothing to remove. */
        DEFAULT,
        /** Exactly the HTB root apply adds: handle 1:, unclassified traffic to 1:10. */
        OURS_HTB,
        OTHER
    }

    private static Root root(TrafficControl tc, int index) {
        Optional<TrafficControl.Qdisc> root = tc.root(index);
        if (root.isEmpty() || root.get().kind().equals("noqueue")
                || (root.get().kind().equals("pfifo_fast") && root.get().handle() == 0)) {
            return Root.DEFAULT;
        }
        if (root.get().kind().equals("htb") && root.get().handle() == ROOT_HANDLE
                && root.get().htbDefaultClass() == DEFAULT_CLASS_MINOR) {
            return Root.OURS_HTB;
        }
        return Root.OTHER;
    }

    /**
     * What is programmed now, e.g. "htb 100Mbit unshaped dst 10.0.0.5/32"; empty when the link has no
     * Portcullis limit or is gone. Three netlink dumps (qdiscs, the link's classes, its filters).
     */
    public Optional<String> current(NetlinkSocket socket, String device) {
        Optional<Integer> index = new Links(socket).index(device);
        if (index.isEmpty()) {
            return Optional.empty();
        }
        TrafficControl tc = new TrafficControl(socket);
        return current(tc, index.get(), device, tc.root(index.get()));
    }

    /** The same with the link's root already known (from one dump of all the namespace's qdiscs). */
    public Optional<String> current(TrafficControl tc, int index, String device, Optional<TrafficControl.Qdisc> root) {
        if (root.isPresent() && root.get().kind().equals("tbf")) {
            return Optional.of("tbf " + rate(root.get().rateBytes()));
        }
        if (root.isEmpty() || !root.get().kind().equals("htb") || root.get().handle() != ROOT_HANDLE) {
            return Optional.empty();
        }
        int defaultClass = root.get().htbDefaultClass();
        String filters = filters(tc.filters(index, device, ROOT_HANDLE));
        return tc.htbClasses(index, device).stream().filter(c -> c.classId() == CLASS).findFirst().map(htbClass -> {
            // rate alone when the class is as apply makes it; anything else is spelled out, so it differs.
            String rate = rate(htbClass.rateBytes());
            String ceil = rate(htbClass.ceilBytes());
            return "htb " + rate + (ceil.equals(rate) ? "" : " ceil " + ceil)
                    + (defaultClass == DEFAULT_CLASS_MINOR ? "" : " default 0x" + Integer.toHexString(defaultClass)) + filters;
        });
    }

    /** A rate in bytes per second as tc prints it: "100Mbit", "1Gbit", "1500Kbit". */
    static String rate(long bytesPerSecond) {
        String[] units = {"", "K", "M", "G", "T"};
        long rate = bytesPerSecond * 8;
        int unit = 0;
        for (; unit < units.length - 1; unit++) {
            if (rate < 1000 || (rate % 1000 != 0 && rate < 1000 * 1000)) {
                break;
            }
            rate /= 1000;
        }
        return rate + units[unit] + "bit";
    }

    /**
     * The filters as {@link Exemption#describe} spells them: each of ours sends one network of one
     * side to HTB's direct queue. A filter of any other kind or target is named, so it differs.
     */
    private static String filters(List<TrafficControl.Filter> filters) {
        List<String> exempt = new ArrayList<>();
        List<String> other = new ArrayList<>();
        Exemption.Side side = null;
        for (TrafficControl.Filter filter : filters) {
            if (filter.hashTable()) {
                continue;
            }
            Optional<Match> match = filter.kind().equals("u32") && filter.classId() == DIRECT
                    ? Match.of(filter) : Optional.empty();
            if (match.isEmpty() || (side != null && side != match.get().side())) {
                other.add(filter.kind() + " protocol 0x" + Integer.toHexString(filter.protocol()) + " prio "
                        + filter.priority() + " flowid " + TrafficControl.handle(filter.classId()) + " " + filter.keys());
                continue;
            }
            side = match.get().side();
            exempt.add(match.get().network());
        }
        String described = side == null ? "" : Exemption.describe(side, exempt);
        return described + (other.isEmpty() ? "" : " other filters " + String.join("; ", other));
    }

    /** One exemption filter read back: which side of the packet it matches and the network. */
    private record Match(Exemption.Side side, String network) {
        static Optional<Match> of(TrafficControl.Filter filter) {
            List<TrafficControl.U32Key> keys = filter.keys();
            if (filter.protocol() == TrafficControl.ETH_P_IP && keys.size() == 1) {
                TrafficControl.U32Key key = keys.get(0);
                for (Exemption.Side side : Exemption.Side.values()) {
                    if (key.offset() == side.offset && prefixOf(key.mask()) >= 0) {
                        return Optional.of(new Match(side, new Ipv4Cidr(new Ipv4Address(key.value()), prefixOf(key.mask())).toString()));
                    }
                }
                return Optional.empty();
            }
            if (filter.protocol() != TrafficControl.ETH_P_IPV6 || keys.isEmpty() || keys.size() > 4) {
                return Optional.empty();
            }
            for (Exemption.Side side : Exemption.Side.values()) {
                long[] words = new long[4];
                int prefix = 0;
                boolean ours = true;
                for (int i = 0; i < keys.size(); i++) {
                    TrafficControl.U32Key key = keys.get(i);
                    int bits = prefixOf(key.mask());
                    // Each word in order; only the last may be partial.
                    if (key.offset() != side.ipv6Offset + 4 * i || bits < 0 || (bits < 32 && i < keys.size() - 1)) {
                        ours = false;
                        break;
                    }
                    words[i] = Integer.toUnsignedLong(key.value());
                    prefix += bits;
                }
                if (ours) {
                    Ipv6Address network = new Ipv6Address(words[0] << 32 | words[1], words[2] << 32 | words[3]);
                    return Optional.of(new Match(side, new Ipv6Cidr(network, prefix).toString()));
                }
            }
            return Optional.empty();
        }

        /** The prefix length a mask stands for; -1 when it is not a prefix mask. */
        private static int prefixOf(int mask) {
            int bits = Integer.bitCount(mask);
            return mask == mask(bits) ? bits : -1;
        }
    }

    /** What {@link #current} shows for a limit and its exemption, to compare desired with actual. */
    public String expected(int mbit, Exemption exempt) {
        if (mbit == 0 || mode == ShapingMode.NONE) {
            return "";
        }
        String rate = mbit >= 1000 && mbit % 1000 == 0 ? (mbit / 1000) + "Gbit" : mbit + "Mbit";
        return mode == ShapingMode.HTB ? "htb " + rate + exempt.describe() : "tbf " + rate;
    }

}
