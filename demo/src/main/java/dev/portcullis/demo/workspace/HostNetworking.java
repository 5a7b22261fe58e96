package dev.portcullis.demo.workspace;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.kernel.CommandRunner;
import java.util.Optional;

/**
 * Whether the demo's address range is free on this machine (whether the machine can build workspace
 * networks at all is the agent's {@code HostSupport}). The answer is the reason the demo falls back
 * to loopback, in words a user can act on.
 */
final class HostNetworking {
    private final CommandRunner commands;

    HostNetworking(CommandRunner commands) {
        this.commands = requireNonNull(commands, "commands");
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
