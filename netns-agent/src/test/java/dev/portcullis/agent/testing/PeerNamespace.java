package dev.portcullis.agent.testing;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import java.util.List;

/**
 * A namespace the test makes to stand for something outside the workspaces (a gateway, the
 * internet, an outsider), linked to the host by a veth /31 of the test's own range. Its names
 * carry the test's tag, so {@link TestHost#close()} removes it even after a failure.
 */
public final class PeerNamespace {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();

    private final String namespace;
    private final String link;
    private final String hostAddress;
    private final String address;
    private String ipv6HostAddress;
    private String ipv6Address;

    /** {@code hostAddress} is the even end of a /31 (host side); the namespace gets the odd end. */
    public PeerNamespace(TestHost host, String role, String hostAddress, String address) {
        this.namespace = host.peerNamespacePrefix() + role;
        this.hostAddress = hostAddress;
        this.address = address;
        this.link = host.tag() + role;
        COMMANDS.check("ip", "netns", "add", namespace);
        COMMANDS.check("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace);
        COMMANDS.check("ip", "addr", "add", hostAddress + "/31", "dev", link);
        COMMANDS.check("ip", "link", "set", "dev", link, "up");
        COMMANDS.check("ip", "-n", namespace, "addr", "add", address + "/31", "dev", "eth0");
        COMMANDS.check("ip", "-n", namespace, "link", "set", "dev", "eth0", "up");
        COMMANDS.check("ip", "-n", namespace, "link", "set", "dev", "lo", "up");
        COMMANDS.check("ip", "-n", namespace, "route", "add", "default", "via", hostAddress);
        COMMANDS.check("sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/" + link + "/forwarding");
    }

    /**
     * Gives the peer an IPv6 /127 as well ({@code hostAddress} even, {@code address} odd) and its
     * default route over it; the host forwards what arrives on its end ({@code force_forwarding},
     * kernel 6.17+; on older kernels the forwarded IPv6 cases skip, saying so).
     */
    public PeerNamespace withIpv6(String hostAddress, String address) {
        COMMANDS.check("ip", "addr", "add", hostAddress + "/127", "dev", link, "nodad");
        COMMANDS.check("ip", "-n", namespace, "addr", "add", address + "/127", "dev", "eth0", "nodad");
        COMMANDS.check("ip", "-n", namespace, "route", "add", "default", "via", hostAddress);
        COMMANDS.check("sh", "-c", "if [ -e /proc/sys/net/ipv6/conf/" + link + "/force_forwarding ]; then echo 1 > "
                + "/proc/sys/net/ipv6/conf/" + link + "/force_forwarding; fi");
        this.ipv6HostAddress = hostAddress;
        this.ipv6Address = address;
        return this;
    }

    /**
     * Routes one more address (a well-known one such as the cloud metadata's) to this peer, but only for
     * packets from {@code sources}, the test's own prefix: a policy rule sends those to routing table
     * {@code table}, which holds nothing but this route. The host's own traffic to that address (its real
     * metadata service, say) keeps its route; a route in the main table would hide it for as long as the
     * test runs. Close the result to remove the rule (the route goes with the peer's link).
     */
    public AutoCloseable answering(String ipv6, String sources, int table) {
        // A table nobody made does not exist at all ("FIB table does not exist"): that is empty too.
        String existing = COMMANDS.run("ip", "-6", "route", "show", "table", Integer.toString(table)).stdout().strip();
        if (!existing.isEmpty()) {
            throw new IllegalStateException("routing table " + table + " is in use: " + existing
                    + " (expected: an empty table for the test's own routes)");
        }
        COMMANDS.check("ip", "-n", namespace, "addr", "add", ipv6 + "/128", "dev", "lo");
        COMMANDS.check("ip", "-6", "route", "add", ipv6 + "/128", "via", ipv6Address, "dev", link, "table",
                Integer.toString(table));
        List<String> rule = List.of("ip", "-6", "rule", "add", "from", sources, "lookup", Integer.toString(table));
        COMMANDS.check(rule);
        return () -> COMMANDS.run("ip", "-6", "rule", "del", "from", sources, "lookup", Integer.toString(table));
    }

    /** The host end of this peer's link, in the host namespace. */
    public String link() {
        return link;
    }

    public String ipv6Address() {
        return ipv6Address;
    }

    public String ipv6HostAddress() {
        return ipv6HostAddress;
    }

    public String namespace() {
        return namespace;
    }

    public String address() {
        return address;
    }

    public String hostAddress() {
        return hostAddress;
    }
}
