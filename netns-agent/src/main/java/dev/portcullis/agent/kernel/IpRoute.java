package dev.portcullis.agent.kernel;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Namespaces, links, addresses, routes and sysctls through iproute2. Every method names the exact
 * object it touches; nothing here lists-and-deletes by pattern (that is reconcile's job, with care).
 */
public final class IpRoute {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner commands;

    public IpRoute(CommandRunner commands) {
        this.commands = requireNonNull(commands, "commands");
    }

    public List<String> namespaces() {
        List<String> names = new ArrayList<>();
        for (String line : commands.check("ip", "netns", "list").stdout().split("\n")) {
            String name = line.strip().split(" ", 2)[0];
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    public boolean namespaceExists(String namespace) {
        return Files.exists(Path.of("/run/netns", namespace));
    }

    public void addNamespace(String namespace) {
        commands.check("ip", "netns", "add", namespace);
    }

    public void deleteNamespace(String namespace) {
        commands.check("ip", "netns", "delete", namespace);
    }

    /** Names of the veth links in the host namespace. */
    public List<String> hostVethLinks() {
        List<String> names = new ArrayList<>();
        for (JsonNode link : json(commands.check("ip", "-j", "link", "show", "type", "veth").stdout())) {
            names.add(link.path("ifname").asText());
        }
        return names;
    }

    public boolean hostLinkExists(String name) {
        return Files.exists(Path.of("/sys/class/net", name));
    }

    public boolean linkExistsIn(String namespace, String name) {
        return commands.run("ip", "-n", namespace, "link", "show", "dev", name).ok();
    }

    /** The workspace end is born inside the namespace, so it never exists in the host namespace. */
    public void addVethWithPeerIn(String hostName, String namespace, String peerName) {
        commands.check("ip", "link", "add", hostName, "type", "veth", "peer", "name", peerName, "netns", namespace);
    }

    /** Deletes a host link; one that vanished meanwhile (its namespace went away) counts as deleted. */
    public void deleteHostLink(String name) {
        CommandResult result = commands.run("ip", "link", "delete", "dev", name);
        if (!result.ok() && hostLinkExists(name)) {
            throw new CommandFailedException(List.of("ip", "link", "delete", "dev", name), result);
        }
    }

    public void deleteLinkIn(String namespace, String name) {
        commands.check("ip", "-n", namespace, "link", "delete", "dev", name);
    }

    public void replaceAddress(String namespace, String device, String cidr) {
        commands.check(ip(namespace, "addr", "replace", cidr, "dev", device));
    }

    /** IPv4 addresses with prefix length ("10.213.0.1/31") on a device. */
    public List<String> ipv4Addresses(String namespace, String device) {
        CommandResult result = commands.run(ip(namespace, "-j", "-4", "addr", "show", "dev", device));
        List<String> addresses = new ArrayList<>();
        if (!result.ok()) {
            return addresses;
        }
        for (JsonNode link : json(result.stdout())) {
            for (JsonNode info : link.path("addr_info")) {
                addresses.add(info.path("local").asText() + "/" + info.path("prefixlen").asInt());
            }
        }
        return addresses;
    }

    public void setUp(String namespace, String device) {
        commands.check(ip(namespace, "link", "set", "dev", device, "up"));
    }

    public void replaceDefaultRoute(String namespace, String via, String device) {
        commands.check(ip(namespace, "route", "replace", "default", "via", via, "dev", device));
    }

    public boolean hasDefaultRoute(String namespace, String via) {
        CommandResult result = commands.run(ip(namespace, "-j", "-4", "route", "show", "default"));
        if (!result.ok()) {
            return false;
        }
        for (JsonNode route : json(result.stdout())) {
            if (via.equals(route.path("gateway").asText())) {
                return true;
            }
        }
        return false;
    }

    /** Writes a sysctl of the host namespace; a key the kernel lacks (no IPv6) is skipped. */
    public void hostSysctl(String key, String value) {
        Path file = Path.of("/proc/sys", key.replace('.', '/'));
        if (!Files.exists(file)) {
            return;
        }
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set " + key + "=" + value + ": " + e.getMessage(), e);
        }
    }

    public String hostSysctlValue(String key) {
        try {
            return Files.readString(Path.of("/proc/sys", key.replace('.', '/'))).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Writes a sysctl inside a namespace: /proc/sys/net shows the namespace of the process reading it. */
    public void namespaceSysctl(String namespace, String key, String value) {
        String file = "/proc/sys/" + key.replace('.', '/');
        commands.check("ip", "netns", "exec", namespace, "sh", "-c",
                "if [ -e " + file + " ]; then echo " + value + " > " + file + "; fi");
    }

    private static List<String> ip(String namespace, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        if (namespace != null) {
            argv.add("-n");
            argv.add(namespace);
        }
        argv.addAll(List.of(args));
        return argv;
    }

    private static JsonNode json(String text) {
        if (text.isBlank()) {
            return JSON.createArrayNode();
        }
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected output from ip -j: " + e.getMessage(), e);
        }
    }
}
