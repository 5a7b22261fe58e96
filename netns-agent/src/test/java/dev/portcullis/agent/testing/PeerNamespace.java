package dev.portcullis.agent.testing;

import dev.portcullis.agent.kernel.ProcessCommandRunner;

/**
 * A namespace the test makes to stand for something outside the workspaces (a gateway, the
 * internet, an outsider), linked to the host by a veth /31 of the test's own range. Its names
 * carry the test's tag, so {@link TestHost#close()} removes it even after a failure.
 */
public final class PeerNamespace {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();

    private final String namespace;
    private final String hostAddress;
    private final String address;

    /** {@code hostAddress} is the even end of a /31 (host side); the namespace gets the odd end. */
    public PeerNamespace(TestHost host, String role, String hostAddress, String address) {
        this.namespace = host.peerNamespacePrefix() + role;
        this.hostAddress = hostAddress;
        this.address = address;
        String link = host.tag() + role;
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
