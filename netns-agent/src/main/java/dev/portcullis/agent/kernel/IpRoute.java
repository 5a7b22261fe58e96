package dev.portcullis.agent.kernel;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Namespaces, links, addresses, routes and sysctls through iproute2. Every method names the exact
 * object it touches; nothing here lists-and-deletes by pattern (that is reconcile's job, with care).
 */
public final class IpRoute {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SYSCTL_KEY = Pattern.compile("[a-z0-9_]+(\\.[a-z0-9_]+)+");
    private static final Pattern SYSCTL_VALUE = Pattern.compile("-?[0-9]+");
    private static final Duration SYSCTL_DEADLINE = Duration.ofSeconds(20);

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

    /** IPv4 and IPv6 addresses with prefix length ("10.213.0.1/31", "fd5e::3/127") on a device of the host namespace. */
    public List<String> hostAddresses(String device) {
        CommandResult result = commands.run("ip", "-j", "addr", "show", "dev", device);
        return result.ok() ? addresses(json(result.stdout())) : List.of();
    }

    private static List<String> addresses(JsonNode links) {
        List<String> addresses = new ArrayList<>();
        for (JsonNode link : links) {
            for (JsonNode info : link.path("addr_info")) {
                addresses.add(info.path("local").asText() + "/" + info.path("prefixlen").asInt());
            }
        }
        return addresses;
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

    /**
     * Reads a device's addresses and the namespace's default routes in one process; empty when the
     * device is missing. {@code table all} is what makes {@code ip} list both families' routes (with
     * the main table alone it lists IPv4 only); routes of other tables carry a "table" key and are skipped.
     */
    public Optional<DeviceState> deviceState(String namespace, String device) {
        CommandResult result;
        try {
            result = batch(namespace, "-j").add("addr", "show", "dev", device).add("route", "show", "table", "all", "default").run();
        } catch (CommandFailedException e) {
            return Optional.empty();
        }
        // Two JSON arrays, one per command, one after the other.
        try (JsonParser outputs = JSON.createParser(result.stdout())) {
            List<String> addresses = addresses(orEmpty(JSON.readTree(outputs)));
            List<String> gateways = new ArrayList<>();
            for (JsonNode route : orEmpty(JSON.readTree(outputs))) {
                if (route.has("table") && !route.path("table").asText().equals("main")) {
                    continue;
                }
                gateways.add(route.path("gateway").asText());
            }
            return Optional.of(new DeviceState(addresses, gateways));
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected output from ip -j: " + e.getMessage(), e);
        }
    }

    private static JsonNode orEmpty(JsonNode output) {
        return output == null ? JSON.createArrayNode() : output;
    }

    /** Many ip commands in one process, in the host namespace (namespace null) or inside one. */
    public CommandBatch batch(String namespace, String... options) {
        return CommandBatch.ip(commands, namespace, options);
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
