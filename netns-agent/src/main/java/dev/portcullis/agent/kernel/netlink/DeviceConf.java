package dev.portcullis.agent.kernel.netlink;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One link's per-interface sysctls as rtnetlink carries them in {@code IFLA_AF_SPEC}: the IPv4 ones
 * ({@code IFLA_INET_CONF}, an array indexed by {@code IPV4_DEVCONF_* - 1}) and the IPv6 ones
 * ({@code IFLA_INET6_CONF}, indexed by {@code DEVCONF_*}), the same values as
 * {@code /proc/sys/net/ipv4/conf/LINK/*} and {@code /proc/sys/net/ipv6/conf/LINK/*}. A link dump carries
 * them for every link at once, so reading them needs no file per link.
 *
 * <p>The kernel takes IPv4 values back through {@code RTM_SETLINK} ({@link Links#setIpv4Conf}); it
 * has no netlink setter for IPv6 ones, which stay files.
 */
public record DeviceConf(int[] ipv4, int[] ipv6) {

    /** {@code IPV4_DEVCONF_*} of include/uapi/linux/ip.h: the ids {@link Links#setIpv4Conf} takes. */
    public static final int IPV4_FORWARDING = 1;
    public static final int IPV4_RP_FILTER = 8;

    /** Sysctl key names of the keys the agent sets, and their place in the kernel's arrays. */
    private static final Map<String, Integer> IPV4_KEYS = Map.of("forwarding", IPV4_FORWARDING, "rp_filter", IPV4_RP_FILTER);
    /** {@code DEVCONF_*} of include/uapi/linux/ipv6.h (force_forwarding came with 6.17, after accept_ra_min_lft). */
    private static final Map<String, Integer> IPV6_KEYS = Map.of("forwarding", 0, "accept_ra", 3, "accept_redirects", 4,
            "disable_ipv6", 26, "force_forwarding", 59);
    private static final Pattern KEY = Pattern.compile("net\\.(ipv4|ipv6)\\.conf\\.([^.]+)\\.([a-z0-9_]+)");
    static final DeviceConf NONE = new DeviceConf(new int[0], new int[0]);

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int IFLA_INET_CONF = 1;
    private static final int IFLA_INET6_CONF = 2;

    /** Reads what a link message's {@code IFLA_AF_SPEC} holds; a family the link lacks gives an empty array. */
    static DeviceConf of(Optional<Attributes> afSpec) {
        if (afSpec.isEmpty()) {
            return NONE;
        }
        int[] ipv4 = afSpec.get().nested(AF_INET).flatMap(inet -> inet.bytes(IFLA_INET_CONF)).map(DeviceConf::ints)
                .orElse(new int[0]);
        int[] ipv6 = afSpec.get().nested(AF_INET6).flatMap(inet6 -> inet6.bytes(IFLA_INET6_CONF)).map(DeviceConf::ints)
                .orElse(new int[0]);
        return new DeviceConf(ipv4, ipv6);
    }

    /**
     * The value of {@code key} ("net.ipv4.conf.LINK.forwarding") as this message has it; empty when the
     * key is not one of those mapped here, or the kernel did not send it (a family the link lacks, or
     * a kernel too old for the key): the caller then reads the file.
     */
    public Optional<Integer> value(String key) {
        Matcher matcher = KEY.matcher(key);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        boolean v4 = matcher.group(1).equals("ipv4");
        Integer id = (v4 ? IPV4_KEYS : IPV6_KEYS).get(matcher.group(3));
        if (id == null) {
            return Optional.empty();
        }
        int at = v4 ? id - 1 : id;
        int[] values = v4 ? ipv4 : ipv6;
        return at < values.length ? Optional.of(values[at]) : Optional.empty();
    }

    /** The id {@link Links#setIpv4Conf} takes for an IPv4 key name ("forwarding"), if the agent may set it so. */
    public static Optional<Integer> ipv4Id(String name) {
        return Optional.ofNullable(IPV4_KEYS.get(name));
    }

    private static int[] ints(ByteBuffer bytes) {
        int[] values = new int[bytes.remaining() / 4];
        for (int i = 0; i < values.length; i++) {
            values[i] = bytes.getInt(i * 4);
        }
        return values;
    }
}
