package dev.portcullis.agent.kernel;

import java.util.Optional;

/**
 * Whether this host can build workspace networks at all: root, the ip, nft and tc tools, a working
 * {@code ip netns add} and nftables. Asked before anything is built, so a caller can say why not
 * (the demo falls back to loopback, kernel tests skip) instead of failing half-way.
 */
public final class HostSupport {

    private HostSupport() {}

    /**
     * Empty when workspace networks can be built here, else what is missing, in words.
     *
     * @param probeNamespace a name of the caller's own prefix: added and deleted again to prove it works
     */
    public static Optional<String> whatIsMissing(CommandRunner commands, String probeNamespace) {
        CommandResult id = commands.run("id", "-u");
        if (!id.ok() || !id.stdout().strip().equals("0")) {
            return Optional.of("not running as root (id -u = " + id.stdout().strip()
                    + "); workspace networks need root");
        }
        Optional<String> noNetlink = dev.portcullis.agent.kernel.netlink.NetworkNamespaces.unavailable();
        if (noNetlink.isPresent()) {
            return Optional.of("the agent speaks netlink to the kernel through JNA, which does not work here: "
                    + noNetlink.get());
        }
        for (String[] tool : new String[][] {{"ip", "iproute2"}, {"nft", "nftables"}, {"tc", "iproute2"}}) {
            if (commands.run(tool[0], "-V").exitCode() == 127) {
                return Optional.of("'" + tool[0] + "' is not installed (apt-get install " + tool[1] + ")");
            }
        }
        CommandResult add = commands.run("ip", "netns", "add", probeNamespace);
        if (!add.ok()) {
            return Optional.of("'ip netns add' failed: " + add.stderr().strip());
        }
        commands.run("ip", "netns", "delete", probeNamespace);
        CommandResult nft = commands.run("nft", "list", "tables");
        if (!nft.ok()) {
            return Optional.of("'nft list tables' failed: " + nft.stderr().strip());
        }
        return Optional.empty();
    }
}
