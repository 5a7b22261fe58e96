package dev.portcullis.demo.workspace;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import java.util.Optional;

/**
 * Whether this machine lets the demo build a workspace network: root, the tools, a working
 * {@code ip netns add} and nftables, and the demo's address range free. Each answer is the reason
 * the demo falls back to loopback, in words a user can act on.
 */
final class HostNetworking {
    private final CommandRunner commands;

    HostNetworking(CommandRunner commands) {
        this.commands = requireNonNull(commands, "commands");
    }

    /** Empty when a workspace network can be built; else why not. */
    Optional<String> whatIsMissing(String probeNamespace) {
        CommandResult id = commands.run("id", "-u");
        if (!id.ok() || !id.stdout().strip().equals("0")) {
            return Optional.of("not running as root (id -u = " + id.stdout().strip()
                    + "); as root the workspace gets its own network namespace");
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

    /**
     * An address of {@code range} on a host link that is not the demo's (e.g. a real agent's
     * workspace), described; empty when the range is free.
     */
    Optional<String> rangeTakenBy(Ipv4Cidr range, String ownInterfacePrefix) {
        // Lines like "7: eth1    inet 10.213.255.4/30 brd ... scope global eth1".
        for (String line : commands.run("ip", "-o", "-4", "address", "show").stdout().lines().toList()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 4 || !fields[2].equals("inet")) {
                continue;
            }
            String link = fields[1].split("@", 2)[0];
            String address = fields[3].split("/", 2)[0];
            if (!link.startsWith(ownInterfacePrefix) && range.contains(Ipv4Address.parse(address))) {
                return Optional.of("the demo's range " + range + " is in use on this host (" + fields[3] + " on "
                        + link + ")");
            }
        }
        return Optional.empty();
    }
}
