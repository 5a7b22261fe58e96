package dev.portcullis.agent.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.config.InvalidKeyException;
import dev.portcullis.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything the agent is told by its operator. Immutable; build one with {@link #builder()} or load
 * one with {@link AgentConfigLoader}. The prefixes and the table name exist so tests (and two agents
 * on one machine) never touch each other's kernel objects.
 *
 * @param shapeGatewayTraffic false (the default): what a workspace exchanges with its gateways
 *     ({@code gatewayAddresses}, and its host end when the host is a gateway) bypasses its limits,
 *     because the gateway shares that fairly between workspaces itself
 * @param gatewayIpv6Addresses and {@code blockedIpv6Destinations}: the IPv6 counterparts, used
 *     when {@code addressPlan} has an IPv6 prefix ({@code workspaceIpv6Prefix})
 * @param dnsIpv6Resolvers the host's IPv6 DNS resolvers: {@code dnsResolvers} entries of that family
 *     (they only matter to workspaces with IPv6, i.e. with a {@code workspaceIpv6Prefix})
 * @param uplink the host's uplink, shared between workspaces by weight; empty (the default): not shaped
 * @param spareNamespaces how many network namespaces the agent keeps made ahead of demand (0-64, default
 *     {@value #DEFAULT_SPARE_NAMESPACES}; 0: none): a create takes one instead of making its own, so
 *     making a namespace in the kernel is off its path (see {@code lifecycle.SpareNamespaces})
 */
public record AgentConfig(
        Path stateDir,
        Path socketPath,
        String namespacePrefix,
        String interfacePrefix,
        String tableName,
        AddressPlan addressPlan,
        List<Ipv4Cidr> gatewayAddresses,
        List<Ipv4Cidr> blockedDestinations,
        List<HostService> hostServices,
        List<Ipv4Cidr> dnsResolvers,
        List<Ipv6Cidr> dnsIpv6Resolvers,
        List<Ipv6Cidr> gatewayIpv6Addresses,
        List<Ipv6Cidr> blockedIpv6Destinations,
        boolean allowHostToWorkspaces,
        boolean globalForwarding,
        int defaultEgressMbit,
        int defaultIngressMbit,
        boolean shapeGatewayTraffic,
        Duration reconcileInterval,
        String hostName,
        Optional<Path> routeFile,
        Optional<StoreSettings> store,
        Optional<GatewayRouteSettings> gatewayRoutes,
        Path prefixRegistry,
        boolean acceptMissingState,
        Optional<UplinkSettings> uplink,
        int spareNamespaces) {

    /** Where every agent on the host registers its prefixes, so two agents never claim each other's names. */
    public static final Path DEFAULT_PREFIX_REGISTRY = Path.of("/run/portcullis/agents");
    /** Workspace classes on the uplink are 0x10 to 0xffff (tc's 16-bit minor). */
    public static final int MAX_UPLINK_SLOTS = 0xffff - 0x10 + 1;
    /** Enough for a burst of creates as large as the benchmark's (20 callers at once). */
    public static final int DEFAULT_SPARE_NAMESPACES = 20;
    public static final int MAX_SPARE_NAMESPACES = 64;

    private static final Pattern NAMESPACE_PREFIX = Pattern.compile("[a-z][a-z0-9-]{0,19}");
    private static final Pattern INTERFACE_PREFIX = Pattern.compile("[a-z][a-z0-9]{0,4}");
    private static final Pattern TABLE = Pattern.compile("[a-z][a-z0-9_]{0,31}");

    public AgentConfig {
        requireNonNull(stateDir, "stateDir");
        requireNonNull(socketPath, "socketPath");
        requireNonNull(addressPlan, "addressPlan");
        requireNonNull(reconcileInterval, "reconcileInterval");
        requireNonNull(hostName, "hostName");
        requireNonNull(routeFile, "routeFile");
        requireNonNull(store, "store");
        requireNonNull(gatewayRoutes, "gatewayRoutes");
        requireNonNull(prefixRegistry, "prefixRegistry");
        requireNonNull(uplink, "uplink");
        if (gatewayRoutes.isPresent() && (routeFile.isPresent() || store.isPresent())) {
            throw new InvalidKeyException("routes.gateway", "set together with " + (store.isPresent() ? "store" : "routeFile")
                    + " (expected: one place to publish routes: routes.gateway for a gateway that holds the store,"
                    + " store to write to etcd yourself, routeFile for a gateway without a store)");
        }
        if (routeFile.isPresent() && store.isPresent()) {
            throw new InvalidKeyException("store", "set together with routeFile (expected: one place to publish routes:"
                    + " store for gateways on other machines, routeFile for a gateway on this one)");
        }
        check("namespacePrefix", namespacePrefix, NAMESPACE_PREFIX, "1-20 of a-z, 0-9 and '-', starting with a letter");
        check("interfacePrefix", interfacePrefix, INTERFACE_PREFIX,
                "1-5 of a-z and 0-9, starting with a letter (the rest of the 15-character name is '-' and the address slot)");
        check("table", tableName, TABLE, "1-32 of a-z, 0-9 and '_', starting with a letter");
        int longestLinkName = interfacePrefix.length() + 1 + String.valueOf(addressPlan.slotCount() - 1).length();
        if (longestLinkName > 15) {
            throw new InvalidKeyException("addressRange", addressPlan.range() + " has " + addressPlan.slotCount()
                    + " slots, so the host link of the last one, '" + interfacePrefix + "-" + (addressPlan.slotCount() - 1)
                    + "', is longer than the kernel's 15 characters (expected: a smaller range or a shorter interfacePrefix)");
        }
        gatewayAddresses = List.copyOf(gatewayAddresses);
        blockedDestinations = List.copyOf(blockedDestinations);
        hostServices = List.copyOf(hostServices);
        dnsResolvers = List.copyOf(dnsResolvers);
        dnsIpv6Resolvers = List.copyOf(dnsIpv6Resolvers);
        gatewayIpv6Addresses = List.copyOf(gatewayIpv6Addresses);
        blockedIpv6Destinations = List.copyOf(blockedIpv6Destinations);
        if (defaultEgressMbit < 0 || defaultEgressMbit > 100_000) {
            throw new InvalidKeyException("defaultEgressMbit", defaultEgressMbit + " (expected: 0-100000, 0 = unlimited)");
        }
        if (defaultIngressMbit < 0 || defaultIngressMbit > 100_000) {
            throw new InvalidKeyException("defaultIngressMbit", defaultIngressMbit + " (expected: 0-100000, 0 = unlimited)");
        }
        if (spareNamespaces < 0 || spareNamespaces > MAX_SPARE_NAMESPACES) {
            throw new InvalidKeyException("spareNamespaces", spareNamespaces + " (expected: 0-" + MAX_SPARE_NAMESPACES
                    + ", 0 = every create makes its own namespace)");
        }
        if (reconcileInterval.isNegative() || reconcileInterval.isZero()) {
            throw new InvalidKeyException("reconcileInterval", reconcileInterval + " (expected: > 0)");
        }
        for (Ipv4Cidr gateway : gatewayAddresses) {
            if (gateway.overlaps(addressPlan.range())) {
                throw new InvalidKeyException("gatewayAddresses", gateway + " overlaps the workspace range "
                        + addressPlan.range() + " (expected: gateways outside the workspace range)");
            }
        }
        uplink.ifPresent(settings -> checkUplink(settings, interfacePrefix, addressPlan));
        for (Ipv6Cidr gateway : gatewayIpv6Addresses) {
            if (addressPlan.ipv6Prefix().isEmpty()) {
                throw new InvalidKeyException("gatewayIpv6Addresses", gateway + " is set without workspaceIpv6Prefix"
                        + " (expected: a workspaceIpv6Prefix, or no IPv6 gateways)");
            }
            if (gateway.overlaps(addressPlan.ipv6Prefix().get())) {
                throw new InvalidKeyException("gatewayIpv6Addresses", gateway + " overlaps the workspace prefix "
                        + addressPlan.ipv6Prefix().get() + " (expected: gateways outside the workspace prefix)");
            }
        }
    }

    /**
     * The uplink is not one of the agent's own links, and every slot has a class id: a tc class id's
     * minor is 16 bits, and the agent's workspace classes start at 0x10 (see UplinkShaper).
     */
    private static void checkUplink(UplinkSettings uplink, String interfacePrefix, AddressPlan plan) {
        if (ownInterfaceNames(interfacePrefix).matcher(uplink.interfaceName()).matches()) {
            throw new InvalidKeyException("uplink.interface", "'" + uplink.interfaceName() + "' is a name of this agent's"
                    + " own workspace links (interfacePrefix '" + interfacePrefix + "' and '-' and a slot, or ten hex"
                    + " digits) (expected: the host's link to the internet, e.g. eth0)");
        }
        if (plan.slotCount() > MAX_UPLINK_SLOTS) {
            throw new InvalidKeyException("uplink", "set with addressRange " + plan.range() + ", which has "
                    + plan.slotCount() + " slots (expected: at most " + MAX_UPLINK_SLOTS + " slots, one tc class each:"
                    + " an addressRange of /16 or smaller with /31 slots)");
        }
    }

    /**
     * The host link names an agent with {@code interfacePrefix} gives its workspaces: the prefix, '-'
     * and a slot (no leading zero), or, in records from before slot names, exactly ten hex digits. The
     * prefix is [a-z0-9] only, so the '-' keeps one agent's slot names apart from another's (prefixes
     * "ab" and "ab1": "ab-12" and "ab1-2"); hash names differ by their fixed length.
     */
    public static Pattern ownInterfaceNames(String interfacePrefix) {
        return Pattern.compile(Pattern.quote(interfacePrefix) + "(?:[0-9a-f]{10}|-(?:0|[1-9][0-9]{0,9}))");
    }

    /** Workspaces get IPv6 addresses too (the host has a {@code workspaceIpv6Prefix}). */
    public boolean ipv6() {
        return addressPlan.ipv6Prefix().isPresent();
    }

    /**
     * The operator's explicit word (`agent run --accept-missing-state`) that a missing desired-state
     * file means "no workspaces": the agent then deletes every workspace network of its prefixes.
     */
    public AgentConfig withAcceptMissingState(boolean accept) {
        return new AgentConfig(stateDir, socketPath, namespacePrefix, interfacePrefix, tableName, addressPlan,
                gatewayAddresses, blockedDestinations, hostServices, dnsResolvers, dnsIpv6Resolvers, gatewayIpv6Addresses,
                blockedIpv6Destinations, allowHostToWorkspaces, globalForwarding, defaultEgressMbit, defaultIngressMbit,
                shapeGatewayTraffic, reconcileInterval, hostName, routeFile, store, gatewayRoutes, prefixRegistry, accept, uplink,
                spareNamespaces);
    }

    private static void check(String field, String value, Pattern pattern, String expected) {
        if (value == null || !pattern.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": " + (value == null ? "null" : "'" + value + "'")
                    + " (expected: " + expected + ")");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable on purpose: tests and the loader fill it in, the agent only ever sees the record. */
    public static final class Builder {
        private Path stateDir = Path.of("/var/lib/portcullis/agent");
        private Path socketPath = Path.of("/run/portcullis/agent.sock");
        private String namespacePrefix = "portcullis-";
        private String interfacePrefix = "pc";
        private String tableName = "portcullis";
        private Ipv4Cidr addressRange = Ipv4Cidr.parse("10.213.0.0/16");
        private int slotPrefixLength = 31;
        private final List<Ipv4Cidr> gatewayAddresses = new ArrayList<>();
        private final List<Ipv4Cidr> blockedDestinations = new ArrayList<>(List.of(
                Ipv4Cidr.parse("169.254.0.0/16"), Ipv4Cidr.parse("10.0.0.0/8"), Ipv4Cidr.parse("172.16.0.0/12"),
                Ipv4Cidr.parse("192.168.0.0/16"), Ipv4Cidr.parse("100.64.0.0/10")));
        private final List<HostService> hostServices = new ArrayList<>();
        private final List<Ipv4Cidr> dnsResolvers = new ArrayList<>(ResolvConf.ipv4Nameservers(ResolvConf.FILE));
        private final List<Ipv6Cidr> dnsIpv6Resolvers = new ArrayList<>(ResolvConf.ipv6Nameservers(ResolvConf.FILE));
        private Ipv6Cidr workspaceIpv6Prefix;
        private final List<Ipv6Cidr> gatewayIpv6Addresses = new ArrayList<>();
        // Unique local (covers the clouds' IPv6 metadata, fd00:ec2::254), link-local, and the NAT64
        // prefixes, through which a workspace would reach IPv4 metadata and private ranges.
        private final List<Ipv6Cidr> blockedIpv6Destinations = new ArrayList<>(List.of(
                Ipv6Cidr.parse("fc00::/7"), Ipv6Cidr.parse("fe80::/10"), Ipv6Cidr.parse("64:ff9b::/96"),
                Ipv6Cidr.parse("64:ff9b:1::/48")));
        private boolean allowHostToWorkspaces = true;
        private boolean globalForwarding = true;
        private int defaultEgressMbit = 0;
        private Integer defaultIngressMbit; // null: as defaultEgressMbit
        private boolean shapeGatewayTraffic = false;
        private Duration reconcileInterval = Duration.ofSeconds(30);
        private String hostName = defaultHostName();
        private Path routeFile;
        private StoreSettings store;
        private GatewayRouteSettings gatewayRoutes;
        private Path prefixRegistry = DEFAULT_PREFIX_REGISTRY;
        private boolean acceptMissingState;
        private UplinkSettings uplink;
        private int spareNamespaces = DEFAULT_SPARE_NAMESPACES;

        private Builder() {}

        public Builder stateDir(Path v) { stateDir = v; return this; }
        public Builder socketPath(Path v) { socketPath = v; return this; }
        public Builder namespacePrefix(String v) { namespacePrefix = v; return this; }
        public Builder interfacePrefix(String v) { interfacePrefix = v; return this; }
        public Builder tableName(String v) { tableName = v; return this; }
        public Builder addressRange(Ipv4Cidr v) { addressRange = v; return this; }
        public Builder slotPrefixLength(int v) { slotPrefixLength = v; return this; }
        public Builder gatewayAddresses(List<Ipv4Cidr> v) { gatewayAddresses.clear(); gatewayAddresses.addAll(v); return this; }
        public Builder blockedDestinations(List<Ipv4Cidr> v) { blockedDestinations.clear(); blockedDestinations.addAll(v); return this; }
        public Builder hostServices(List<HostService> v) { hostServices.clear(); hostServices.addAll(v); return this; }
        /** IPv4 resolvers only; the IPv6 ones stay as they were (see {@link #dnsIpv6Resolvers}). */
        public Builder dnsResolvers(List<Ipv4Cidr> v) { dnsResolvers.clear(); dnsResolvers.addAll(v); return this; }
        public Builder dnsIpv6Resolvers(List<Ipv6Cidr> v) { dnsIpv6Resolvers.clear(); dnsIpv6Resolvers.addAll(v); return this; }
        /** A unique local /64 for this host's workspaces; unset (the default): workspaces are IPv4 only. */
        public Builder workspaceIpv6Prefix(Ipv6Cidr v) { workspaceIpv6Prefix = v; return this; }
        public Builder gatewayIpv6Addresses(List<Ipv6Cidr> v) { gatewayIpv6Addresses.clear(); gatewayIpv6Addresses.addAll(v); return this; }
        public Builder blockedIpv6Destinations(List<Ipv6Cidr> v) { blockedIpv6Destinations.clear(); blockedIpv6Destinations.addAll(v); return this; }
        public Builder allowHostToWorkspaces(boolean v) { allowHostToWorkspaces = v; return this; }
        public Builder globalForwarding(boolean v) { globalForwarding = v; return this; }
        public Builder defaultEgressMbit(int v) { defaultEgressMbit = v; return this; }
        /** What enters a workspace that asks for no limit; unset: the same as {@link #defaultEgressMbit}. */
        public Builder defaultIngressMbit(int v) { defaultIngressMbit = v; return this; }
        public Builder shapeGatewayTraffic(boolean v) { shapeGatewayTraffic = v; return this; }
        public Builder reconcileInterval(Duration v) { reconcileInterval = v; return this; }
        public Builder hostName(String v) { hostName = v; return this; }
        public Builder routeFile(Path v) { routeFile = v; return this; }
        public Builder store(StoreSettings v) { store = v; return this; }
        public Builder gatewayRoutes(GatewayRouteSettings v) { gatewayRoutes = v; return this; }

        public Builder prefixRegistry(Path v) { prefixRegistry = v; return this; }
        /** See {@link AgentConfig#withAcceptMissingState}; for a disposable agent such as the demo's. */
        public Builder acceptMissingState(boolean v) { acceptMissingState = v; return this; }
        /** The host's uplink, shared by weight; null (the default): the uplink is not shaped. */
        public Builder uplink(UplinkSettings v) { uplink = v; return this; }
        /** Namespaces kept made ahead of demand; 0: every create makes its own. */
        public Builder spareNamespaces(int v) { spareNamespaces = v; return this; }

        public AgentConfig build() {
            return new AgentConfig(stateDir, socketPath, namespacePrefix, interfacePrefix, tableName,
                    new AddressPlan(requireNonNull(addressRange, "addressRange"), slotPrefixLength,
                            Optional.ofNullable(workspaceIpv6Prefix)),
                    gatewayAddresses, blockedDestinations, hostServices, dnsResolvers, dnsIpv6Resolvers, gatewayIpv6Addresses,
                    blockedIpv6Destinations, allowHostToWorkspaces, globalForwarding,
                    defaultEgressMbit, defaultIngressMbit == null ? defaultEgressMbit : defaultIngressMbit,
                    shapeGatewayTraffic, reconcileInterval, hostName, Optional.ofNullable(routeFile),
                    Optional.ofNullable(store), Optional.ofNullable(gatewayRoutes), prefixRegistry, acceptMissingState,
                    Optional.ofNullable(uplink), spareNamespaces);
        }

        private static String defaultHostName() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "localhost";
            }
        }
    }
}
