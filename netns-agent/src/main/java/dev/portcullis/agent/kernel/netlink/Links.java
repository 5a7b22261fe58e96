package dev.portcullis.agent.kernel.netlink;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * rtnetlink in one namespace (the namespace of its socket): links, addresses and routes, each request
 * as {@code ip} would send it. Every method names the exact object; errors name it too.
 */
public final class Links {

    private static final int RTM_NEWLINK = 16;
    private static final int RTM_DELLINK = 17;
    private static final int RTM_GETLINK = 18;
    private static final int RTM_NEWADDR = 20;
    private static final int RTM_GETADDR = 22;
    private static final int RTM_NEWROUTE = 24;
    private static final int RTM_GETROUTE = 26;
    private static final int AF_UNSPEC = 0;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int IFLA_ADDRESS = 1;
    private static final int IFLA_IFNAME = 3;
    private static final int IFLA_LINK = 5;
    private static final int IFLA_LINKINFO = 18;
    private static final int IFLA_INFO_KIND = 1;
    private static final int IFLA_INFO_DATA = 2;
    private static final int VETH_INFO_PEER = 1;
    private static final int IFLA_NET_NS_FD = 28;
    private static final int IFLA_AF_SPEC = 26;
    private static final int IFLA_INET_CONF = 1;
    private static final int IFF_UP = 0x1;
    private static final int IFA_ADDRESS = 1;
    private static final int IFA_LOCAL = 2;
    private static final int IFA_FLAGS = 8;
    private static final int IFA_F_NODAD = 0x02;
    private static final int RTA_OIF = 4;
    private static final int RTA_GATEWAY = 5;
    private static final int RTA_TABLE = 15;
    private static final int RT_TABLE_MAIN = 254;
    private static final int RTPROT_BOOT = 3;
    private static final int RTN_UNICAST = 1;
    /** A kernel link name: at most 15 bytes, no '/', ':' or blanks. */
    private static final Pattern LINK_NAME = Pattern.compile("[A-Za-z0-9_.@-]{1,15}");

    /** One link as a dump shows it, with its per-interface sysctls. */
    public record Link(int index, String name, String kind, boolean up, int peerIndex, DeviceConf conf) {}

    /** One address: its link's index and "10.0.0.1/31" or "fd00::1/127". */
    public record Address(int index, String cidr) {}

    /** One route of the dump: table, destination prefix length, gateway ("" when none) and output link. */
    public record Route(int family, int table, int destinationLength, String gateway, int outputIndex) {}

    private final NetlinkSocket socket;

    public Links(NetlinkSocket socket) {
        this.socket = requireNonNull(socket, "socket");
    }

    /** The index of link {@code name}; empty when there is none. */
    public Optional<Integer> index(String name) {
        NetlinkMessage request = ifinfo(RTM_GETLINK, 0, 0, 0).attribute(IFLA_IFNAME, checkName(name));
        try {
            return Optional.of(socket.get(request, "look up link " + name + " in " + socket.where()).payload().getInt(4));
        } catch (NetlinkException e) {
            if (e.errno() == 19) { // ENODEV
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The index of link {@code name}, which must exist (ENODEV otherwise). */
    public int requireIndex(String name) {
        NetlinkMessage request = ifinfo(RTM_GETLINK, 0, 0, 0).attribute(IFLA_IFNAME, checkName(name));
        return socket.get(request, "look up link " + name + " in " + socket.where()).payload().getInt(4);
    }

    /**
     * A veth pair: {@code name} here, its peer {@code peerName} born inside the namespace whose handle
     * is {@code peerNamespace} (as {@code ip link add NAME type veth peer name PEER netns NS}), so the
     * peer never exists in this namespace. EEXIST when {@code name} is taken.
     */
    public void addVethPair(String name, String peerName, String peerNamespace) {
        checkName(name);
        checkName(peerName);
        int fd = NetworkNamespaces.openHandle(peerNamespace);
        try {
            NetlinkMessage request = ifinfo(RTM_NEWLINK, 0, 0, 0).attribute(IFLA_IFNAME, name);
            int info = request.begin(IFLA_LINKINFO);
            request.attribute(IFLA_INFO_KIND, "veth");
            int data = request.begin(IFLA_INFO_DATA);
            int peer = request.begin(VETH_INFO_PEER);
            // The peer's attributes follow its own ifinfomsg.
            request.u8(AF_UNSPEC).u8(0).u16(0).u32(0).u32(0).u32(0);
            request.attribute(IFLA_IFNAME, peerName).attributeU32(IFLA_NET_NS_FD, fd);
            request.end(peer).end(data).end(info);
            socket.change(withFlags(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL),
                    "add veth pair " + name + " (peer " + peerName + " in namespace " + peerNamespace + ") in " + socket.where());
        } finally {
            NetworkNamespaces.closeFd(fd);
        }
    }

    public void setUp(int index, String name) {
        socket.change(ifinfo(RTM_NEWLINK, index, IFF_UP, IFF_UP), "set link " + name + " up in " + socket.where());
    }

    /**
     * Sets IPv4 per-interface sysctls of link {@code index} ({@code IPV4_DEVCONF_*} id → value, see
     * {@link DeviceConf}) in one RTM_SETLINK, as writing {@code /proc/sys/net/ipv4/conf/NAME/KEY} would,
     * but waiting for the kernel's network lock instead of retrying the write until it is free (what the
     * file's handler does for {@code forwarding}, spinning on a busy machine).
     */
    public void setIpv4Conf(int index, String name, java.util.Map<Integer, Integer> values) {
        NetlinkMessage request = ifinfo(RTM_NEWLINK, index, 0, 0);
        int spec = request.begin(IFLA_AF_SPEC);
        int inet = request.begin(AF_INET);
        int conf = request.begin(IFLA_INET_CONF);
        values.forEach(request::attributeU32);
        request.end(conf).end(inet).end(spec);
        socket.change(request, "set " + values.keySet().stream().map(Links::ipv4ConfName).toList() + " of " + name
                + " to " + values.values() + " in " + socket.where());
    }

    private static String ipv4ConfName(int id) {
        return switch (id) {
            case DeviceConf.IPV4_FORWARDING -> "forwarding";
            case DeviceConf.IPV4_RP_FILTER -> "rp_filter";
            default -> "ipv4 conf " + id;
        };
    }

    /** The per-interface sysctls of one link (one GET); empty when there is no such link. */
    public Optional<DeviceConf> conf(String name) {
        NetlinkMessage request = ifinfo(RTM_GETLINK, 0, 0, 0).attribute(IFLA_IFNAME, checkName(name));
        try {
            ByteBuffer payload = socket.get(request, "look up link " + name + " in " + socket.where()).payload();
            return Optional.of(DeviceConf.of(new Attributes(payload, 16, payload.remaining()).nested(IFLA_AF_SPEC)));
        } catch (NetlinkException e) {
            if (e.errno() == 19) { // ENODEV
                return Optional.empty();
            }
            throw e;
        }
    }

    public void delete(String name) {
        socket.change(ifinfo(RTM_DELLINK, 0, 0, 0).attribute(IFLA_IFNAME, checkName(name)),
                "delete link " + name + " in " + socket.where());
    }

    /**
     * Sets an address as {@code ip addr replace ADDRESS/PREFIX dev NAME [nodad]} does: added, or its
     * flags and lifetime set when it exists.
     */
    public void replaceAddress(int index, String device, String address, int prefixLength, boolean noDad) {
        InetAddress parsed = literal(address);
        int family = parsed instanceof Inet4Address ? AF_INET : AF_INET6;
        NetlinkMessage request = new NetlinkMessage(RTM_NEWADDR, 0)
                .u8(family).u8(prefixLength).u8(noDad ? IFA_F_NODAD : 0).u8(0).u32(index)
                .attribute(IFA_LOCAL, parsed.getAddress())
                .attribute(IFA_ADDRESS, parsed.getAddress());
        if (noDad) {
            request.attributeU32(IFA_FLAGS, IFA_F_NODAD);
        }
        socket.change(withFlags(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_REPLACE),
                "set address " + address + "/" + prefixLength + " on " + device + " in " + socket.where());
    }

    /** The main table's default route via {@code gateway} out of link {@code index}, as {@code ip route replace default via …}. */
    public void replaceDefaultRoute(String gateway, int index, String device) {
        InetAddress parsed = literal(gateway);
        int family = parsed instanceof Inet4Address ? AF_INET : AF_INET6;
        NetlinkMessage request = new NetlinkMessage(RTM_NEWROUTE, 0)
                .u8(family).u8(0).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(RTPROT_BOOT).u8(0).u8(RTN_UNICAST).u32(0)
                .attributeU32(RTA_TABLE, RT_TABLE_MAIN)
                .attribute(RTA_GATEWAY, parsed.getAddress())
                .attributeU32(RTA_OIF, index);
        socket.change(withFlags(request, NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_REPLACE),
                "set default route via " + gateway + " dev " + device + " in " + socket.where());
    }

    /** Every link of the namespace (one dump). */
    public List<Link> links() {
        List<Link> links = new ArrayList<>();
        for (NetlinkSocket.Reply reply : socket.dump(ifinfo(RTM_GETLINK, 0, 0, 0), "list links in " + socket.where())) {
            ByteBuffer payload = reply.payload();
            Attributes attributes = new Attributes(payload, 16, payload.remaining());
            String kind = attributes.nested(IFLA_LINKINFO).flatMap(info -> info.string(IFLA_INFO_KIND)).orElse("");
            links.add(new Link(payload.getInt(4), attributes.string(IFLA_IFNAME).orElse(""), kind,
                    (payload.getInt(8) & IFF_UP) != 0, attributes.u32(IFLA_LINK).orElse(0),
                    DeviceConf.of(attributes.nested(IFLA_AF_SPEC))));
        }
        return links;
    }

    /** Addresses of both families, of one link ({@code index} > 0) or of all (0); one dump. */
    public List<Address> addresses(int index) {
        NetlinkMessage request = new NetlinkMessage(RTM_GETADDR, 0).u8(AF_UNSPEC).u8(0).u8(0).u8(0).u32(index);
        List<Address> addresses = new ArrayList<>();
        for (NetlinkSocket.Reply reply : socket.dump(request, "list addresses in " + socket.where())) {
            ByteBuffer payload = reply.payload();
            int prefix = payload.get(1) & 0xff;
            int at = payload.getInt(4);
            if (index != 0 && at != index) {
                continue;
            }
            Attributes attributes = new Attributes(payload, 8, payload.remaining());
            Optional<ByteBuffer> raw = attributes.bytes(IFA_LOCAL).or(() -> attributes.bytes(IFA_ADDRESS));
            raw.ifPresent(bytes -> addresses.add(new Address(at, text(bytes) + "/" + prefix)));
        }
        return addresses;
    }

    /** Routes of both families in every table (one dump); the caller picks. */
    public List<Route> routes() {
        NetlinkMessage request = new NetlinkMessage(RTM_GETROUTE, 0).u8(AF_UNSPEC).u8(0).u8(0).u8(0)
                .u8(0).u8(0).u8(0).u8(0).u32(0);
        List<Route> routes = new ArrayList<>();
        for (NetlinkSocket.Reply reply : socket.dump(request, "list routes in " + socket.where())) {
            ByteBuffer payload = reply.payload();
            Attributes attributes = new Attributes(payload, 12, payload.remaining());
            int table = attributes.u32(RTA_TABLE).orElse(payload.get(4) & 0xff);
            routes.add(new Route(payload.get(0) & 0xff, table, payload.get(1) & 0xff,
                    attributes.bytes(RTA_GATEWAY).map(Links::text).orElse(""), attributes.u32(RTA_OIF).orElse(0)));
        }
        return routes;
    }

    /** The gateways of the main table's default routes out of link {@code index}, both families. */
    public List<String> defaultGateways(int index) {
        return routes().stream()
                .filter(r -> r.table() == RT_TABLE_MAIN && r.destinationLength() == 0 && r.outputIndex() == index
                        && !r.gateway().isEmpty())
                .map(Route::gateway).toList();
    }

    private static NetlinkMessage ifinfo(int type, int index, int flags, int change) {
        return new NetlinkMessage(type, 0).u8(AF_UNSPEC).u8(0).u16(0).u32(index).u32(flags).u32(change);
    }

    /** The request flags are set when sent; the creation flags travel with the message. */
    private static NetlinkMessage withFlags(NetlinkMessage message, int flags) {
        message.extraFlags(flags);
        return message;
    }

    private static String text(ByteBuffer bytes) {
        byte[] raw = new byte[bytes.remaining()];
        bytes.duplicate().get(raw);
        try {
            String text = InetAddress.getByAddress(raw).getHostAddress();
            return raw.length == 16 ? compress(text) : text;
        } catch (UnknownHostException e) {
            return "?";
        }
    }

    /** Java writes "fd5e:0:0:0:0:0:0:3"; ip and the agent write "fd5e::3". */
    static String compress(String ipv6) {
        return dev.portcullis.agent.address.Ipv6Address.parse(ipv6).toString();
    }

    private static InetAddress literal(String address) {
        if (!address.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("address: '" + address + "' (expected: an IPv4 or IPv6 literal)");
        }
        try {
            return InetAddress.getByName(address); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address: '" + address + "' (expected: an IPv4 or IPv6 literal)", e);
        }
    }

    static String checkName(String name) {
        requireNonNull(name, "name");
        if (!LINK_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("link name: '" + name
                    + "' (expected: 1 to 15 letters, digits and _.@-, the kernel's limit)");
        }
        return name;
    }
}
