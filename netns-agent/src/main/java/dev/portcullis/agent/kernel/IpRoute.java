package dev.portcullis.agent.kernel;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import dev.portcullis.agent.kernel.netlink.Links;
import dev.portcullis.agent.kernel.netlink.NetlinkException;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.kernel.netlink.NetworkNamespaces;

/**
 * Namespaces, links, addresses and routes over netlink (no process; see {@code kernel.netlink}),
 * sysctls as files. Every method names the exact object it touches; nothing here lists-and-deletes by pattern (that is reconcile's job, with care).
 */
public final class IpRoute {

    private static final Pattern SYSCTL_KEY = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)+");
    private static final Pattern SYSCTL_VALUE = Pattern.compile("-?[0-9]+");
    private static final Duration SYSCTL_DEADLINE = Duration.ofSeconds(20);

    private static final int ENODEV = 19;

    private final CommandRunner commands;
    private volatile Consumer<String> beforeChange = operation -> {};

    public IpRoute(CommandRunner commands) {
        this.commands = requireNonNull(commands, "commands");
    }

    public List<String> namespaces() {
        return NetworkNamespaces.list();
    }

    public boolean namespaceExists(String namespace) {
        return Files.exists(Path.of("/run/netns", namespace));
    }

    public void deleteNamespace(String namespace) {
        beforeChange.accept("delete network namespace " + namespace);
        NetworkNamespaces.delete(namespace);
    }

    /** Names of the veth links in the host namespace (one netlink dump). */
    public List<String> hostVethLinks() {
        try (NetlinkSocket host = NetlinkSocket.host()) {
            return new Links(host).links().stream().filter(l -> l.kind().equals("veth")).map(Links.Link::name).toList();
        }
    }

    public boolean hostLinkExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    /** Deletes a host link; one that vanished meanwhile (its namespace went away) counts as deleted. */
    public void deleteHostLink(String name) {
        beforeChange.accept("delete link " + name);
        try (NetlinkSocket host = NetlinkSocket.host()) {
            deleteLink(new Links(host), name);
        }
    }

    /** Deletes a link through {@code links}; ENODEV (it is gone already) counts as deleted. */
    public static void deleteLink(Links links, String name) {
        try {
            links.delete(name);
        } catch (NetlinkException e) {
            if (e.errno() != ENODEV) {
                throw e;
            }
        }
    }

    /** Runs before every change of a link or namespace this class makes: a seam for tests that crash there. */
    public void beforeChange(Consumer<String> hook) {
        this.beforeChange = requireNonNull(hook, "hook");
    }

    /** Tells the seam of {@link #beforeChange} that a change is about to be made elsewhere (the plumbing's netlink calls). */
    public void announceChange(String operation) {
        beforeChange.accept(operation);
    }

    /**
     * Writes a sysctl of the host namespace; a key the kernel lacks (no IPv6) is skipped, and so is a
     * key that has the value already: the handlers of {@code disable_ipv6} and {@code forwarding} take
     * the kernel's network lock even for a write that changes nothing, retrying the write until it is
     * free, which costs many milliseconds while namespaces are torn down; a read takes no lock.
     */
    public void hostSysctl(String key, String value) {
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        if (!Files.exists(file) || readHostSysctl(key).filter(value::equals).isPresent()) {
            return;
        }
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set " + key + "=" + value + ": " + e.getMessage(), e);
        }
    }

    /** Reads a sysctl of the host namespace; empty when the kernel lacks the key (no IPv6) or the link is gone. */
    public Optional<String> readHostSysctl(String key) {
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes sysctls inside a namespace: /proc/sys/net shows the network namespace of whoever opens
     * it, so the agent's own view is the host's. A thread of the agent enters the namespace and writes
     * them ({@link NamespaceThread}, no process); where that is not possible (JNA cannot load), one
     * {@code nsenter --net} process does ({@code ip netns exec} would also copy the mount table, one
     * mount per namespace, which costs more the more workspaces there are). Keys the kernel lacks are
     * skipped.
     */
    public void namespaceSysctls(String namespace, Map<String, String> values) {
        values.forEach((key, value) -> {
            if (!SYSCTL_KEY.matcher(key).matches() || !SYSCTL_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("sysctl: " + key + "=" + value + " (expected: a dotted key and a number)");
            }
        });
        Path handle = Path.of("/run/netns", namespace);
        if (NamespaceThread.unavailable().isEmpty()) {
            Map<Path, String> files = new LinkedHashMap<>();
            values.forEach((key, value) -> files.put(Path.of("/proc/sys", key.replace('.', '/')), value));
            NamespaceThread.writeSysctls(handle, files, SYSCTL_DEADLINE);
            return;
        }
        StringBuilder script = new StringBuilder("set -e\n");
        values.forEach((key, value) -> {
            String file = "/proc/sys/" + key.replace('.', '/');
            script.append("if [ -e ").append(file).append(" ]; then echo ").append(value).append(" > ").append(file)
                    .append("; fi\n");
        });
        commands.check("nsenter", "--net=" + Path.of("/run/netns", namespace), "sh", "-c", script.toString());
    }

    /**
     * What one device inside a namespace has: its addresses of both families ("10.213.0.1/31",
     * "fd5e::3/127") and the main table's default gateways of both families.
     */
    public record DeviceState(List<String> addresses, List<String> defaultGateways) {}

    /** A device's addresses and the namespace's default routes through {@code links} (two dumps); empty when the device is missing. */
    public static Optional<DeviceState> deviceState(Links links, String device) {
        Optional<Integer> index = links.index(device);
        if (index.isEmpty()) {
            return Optional.empty();
        }
        List<String> addresses = links.addresses(index.get()).stream().map(Links.Address::cidr).toList();
        return Optional.of(new DeviceState(addresses, links.defaultGateways(index.get())));
    }

}
