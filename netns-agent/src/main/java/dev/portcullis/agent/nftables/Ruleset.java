package dev.portcullis.agent.nftables;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.address.Ipv6Address;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.HostService;
import dev.portcullis.agent.config.UplinkSettings;
import dev.portcullis.agent.kernel.netlink.NfTables;
import dev.portcullis.agent.shaping.UplinkShaper;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the Portcullis table and the per-workspace element changes from the templates. Elements
 * are handled in a plain form ("pc1a2b . 10.213.0.1", a map's "pc1a2b : 7063:10") for comparison with what nft lists, and turned
 * into nft syntax (interface names quoted) only when a script is rendered.
 */
public final class Ruleset {

    public static final String FAMILY = "inet";
    public static final String WS_IFACES = "ws_ifaces";
    public static final String WS_ADDRS = "ws_addrs";
    public static final String WS_BINDINGS = "ws_bindings";
    public static final String WS_ADDRS6 = "ws_addrs6";
    public static final String WS_BINDINGS6 = "ws_bindings6";
    /** A map: the workspace's host link to its class on the uplink ("pc1a2b : 7063:10"). */
    public static final String WS_UPLINK_CLASSES = "ws_uplink_classes";
    public static final String UPLINK_IFACES = "uplink_ifaces";
    public static final List<String> WORKSPACE_SETS = List.of(WS_IFACES, WS_ADDRS, WS_BINDINGS, WS_ADDRS6, WS_BINDINGS6,
            WS_UPLINK_CLASSES);

    private final AgentConfig config;
    private final Template table = Template.load("table.nft");
    private final Template add = Template.load("elements-add.nft");
    private final Template delete = Template.load("elements-delete.nft");

    public Ruleset(AgentConfig config) {
        this.config = requireNonNull(config, "config");
    }

    public String tableName() {
        return config.tableName();
    }

    /** The whole table with every given workspace in it: an atomic replace of whatever was there. */
    public String tableScript(Collection<WorkspaceRecord> workspaces) {
        StringBuilder script = new StringBuilder(table.render(Map.of(
                "table", config.tableName(),
                "workspace_range", config.addressPlan().range().toString(),
                "host_to_workspace_verdict", config.allowHostToWorkspaces() ? "accept" : "drop")));
        Map<String, List<String>> elements = new LinkedHashMap<>();
        elements.put("gateway_addrs", config.gatewayAddresses().stream().map(Object::toString).toList());
        elements.put("blocked_dests", config.blockedDestinations().stream().map(Object::toString).toList());
        elements.put("host_services", config.hostServices().stream().map(Ruleset::plain).toList());
        elements.put("dns_resolvers", config.dnsResolvers().stream().map(Object::toString).toList());
        elements.put("dns_resolvers6", config.dnsIpv6Resolvers().stream().map(Object::toString).toList());
        elements.put(UPLINK_IFACES, config.uplink().stream().map(UplinkSettings::interfaceName).toList());
        elements.put("ws_range6", config.addressPlan().ipv6Prefix().stream().map(Object::toString).toList());
        elements.put("gateway_addrs6", config.gatewayIpv6Addresses().stream().map(Object::toString).toList());
        elements.put("blocked_dests6", config.blockedIpv6Destinations().stream().map(Object::toString).toList());
        workspaceElements(workspaces).forEach(elements::put);
        script.append(render(add, elements));
        return script.toString();
    }

    /** The elements one workspace contributes, per set, in plain form. */
    public Map<String, List<String>> workspaceElements(Collection<WorkspaceRecord> workspaces) {
        AddressPlan plan = config.addressPlan();
        Map<String, List<String>> elements = new LinkedHashMap<>();
        WORKSPACE_SETS.forEach(set -> elements.put(set, new ArrayList<>()));
        for (WorkspaceRecord ws : workspaces) {
            AddressPlan.Slot slot = plan.slot(ws.slot());
            String address = slot.workspace().toString();
            elements.get(WS_IFACES).add(ws.hostInterface());
            elements.get(WS_ADDRS).add(address);
            elements.get(WS_BINDINGS).add(ws.hostInterface() + " . " + address);
            slot.ipv6().ifPresent(link -> {
                elements.get(WS_ADDRS6).add(link.workspace().toString());
                elements.get(WS_BINDINGS6).add(ws.hostInterface() + " . " + link.workspace());
            });
            if (config.uplink().isPresent()) {
                elements.get(WS_UPLINK_CLASSES).add(ws.hostInterface() + " : " + UplinkShaper.classId(ws.slot()));
            }
        }
        return elements;
    }

    /**
     * Workspace elements in plain form as the kernel stores them, for {@link NfTables}: interface names
     * NUL-padded to 16 bytes, addresses in network order, concatenations padded to 4 bytes per part, a
     * map's class id as one number. Only the workspace sets' types; anything else is refused.
     */
    public static Map<String, List<NfTables.Element>> kernelElements(Map<String, List<String>> plain) {
        Map<String, List<NfTables.Element>> encoded = new LinkedHashMap<>();
        plain.forEach((set, elements) -> encoded.put(set, elements.stream().map(e -> kernelElement(set, e)).toList()));
        return encoded;
    }

    private static NfTables.Element kernelElement(String set, String plain) {
        return switch (set) {
            case WS_IFACES -> new NfTables.Element(NfTables.ifname(plain), null);
            case WS_ADDRS, WS_ADDRS6 -> new NfTables.Element(address(plain), null);
            case WS_BINDINGS, WS_BINDINGS6 -> {
                String[] parts = plain.split(" \\. ", 2);
                yield new NfTables.Element(NfTables.concat(NfTables.ifname(parts[0]), address(parts[1])), null);
            }
            case WS_UPLINK_CLASSES -> {
                String[] parts = plain.split(" : ", 2);
                yield new NfTables.Element(NfTables.ifname(parts[0]), NfTables.classId(parts[1]));
            }
            default -> throw new IllegalArgumentException("set: " + set + " (expected: one of the workspace sets " + WORKSPACE_SETS + ")");
        };
    }

    /** An {@code ipv4_addr} or {@code ipv6_addr} key: the address in network order (a literal, never a host name). */
    static byte[] address(String literal) {
        return literal.contains(":") ? Ipv6Address.parse(literal).bytes()
                : java.nio.ByteBuffer.allocate(4).putInt(Ipv4Address.parse(literal).bits()).array();
    }

    public String addScript(Map<String, List<String>> elements) {
        return render(add, elements);
    }

    public String deleteScript(Map<String, List<String>> elements) {
        return render(delete, elements);
    }

    private String render(Template template, Map<String, List<String>> elements) {
        StringBuilder script = new StringBuilder();
        elements.forEach((set, plain) -> {
            if (plain.isEmpty()) {
                return; // "{ }" is not valid nft
            }
            script.append(template.render(Map.of(
                    "table", config.tableName(),
                    "set", set,
                    "elements", String.join(", ", plain.stream().map(e -> syntax(set, e)).toList()))));
        });
        return script.toString();
    }

    private static String plain(HostService service) {
        return service.protocol() + " . " + service.port();
    }

    /** Interface names are strings in nft syntax; everything else is written as listed. */
    private static String syntax(String set, String plain) {
        return switch (set) {
            case WS_IFACES, UPLINK_IFACES -> "\"" + plain + "\"";
            case WS_UPLINK_CLASSES -> {
                String[] parts = plain.split(" : ", 2);
                yield "\"" + parts[0] + "\" : " + parts[1];
            }
            case WS_BINDINGS, WS_BINDINGS6 -> {
                String[] parts = plain.split(" \\. ", 2);
                yield "\"" + parts[0] + "\" . " + parts[1];
            }
            default -> plain;
        };
    }
}
