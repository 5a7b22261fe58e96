package dev.portcullis.demo.workspace;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Cidr;
import java.nio.file.Path;

/**
 * The kernel names and the address range a demo's workspace network uses, and the machine-wide
 * lock that says which demo owns them. The namespace, veth and nftables names are global on the
 * machine, so two users of the same names would remove each other's objects: {@code ./portcullis
 * demo} uses {@link #DEMO}; the demo's own tests use {@link #of} with names no demo uses, so a test
 * run next to a running demo never touches the demo's objects.
 *
 * @param namespacePrefix the namespaces' prefix
 * @param interfacePrefix the host ends of the veth pairs: this plus '-' and the address slot (at most 5
 *                        characters, as a link name has at most 15)
 * @param table           the nftables table (family inet)
 * @param range           the workspace addresses; no other link on the host may use it
 * @param machineLock     held by the one process that owns these names on this machine
 */
public record DemoNetworkNames(String namespacePrefix, String interfacePrefix, String table, Ipv4Cidr range,
                               Path machineLock) {
    /** The top of the agent's default range (10.213.0.0/16), which a real agent hands out last. */
    public static final DemoNetworkNames DEMO = new DemoNetworkNames("pcdemo-", "pcdem", "pcdemo",
            Ipv4Cidr.parse("10.213.255.0/24"), Path.of("/run/portcullis-demo.lock"));

    public DemoNetworkNames {
        requireNonNull(namespacePrefix, "namespacePrefix");
        requireNonNull(table, "table");
        requireNonNull(range, "range");
        requireNonNull(machineLock, "machineLock");
        if (!requireNonNull(interfacePrefix, "interfacePrefix").matches("[a-z][a-z0-9]{1,4}")) {
            throw new IllegalArgumentException("interfacePrefix: '" + interfacePrefix
                    + "' (expected: 2-5 of a-z, 0-9, starting with a letter)");
        }
    }

    /**
     * Names of their own for a second kind of demo (the demo's tests): {@code prefix-} namespaces,
     * {@code prefix} links and table, {@code /run/portcullis-<prefix>.lock}.
     */
    public static DemoNetworkNames of(String prefix, Ipv4Cidr range) {
        if (prefix.equals(DEMO.interfacePrefix()) || prefix.startsWith(DEMO.interfacePrefix())
                || DEMO.interfacePrefix().startsWith(prefix)) {
            throw new IllegalArgumentException("prefix: '" + prefix + "' overlaps the demo's own names ("
                    + DEMO.interfacePrefix() + ")");
        }
        return new DemoNetworkNames(prefix + "-", prefix, prefix, range, Path.of("/run/portcullis-" + prefix + ".lock"));
    }
}
