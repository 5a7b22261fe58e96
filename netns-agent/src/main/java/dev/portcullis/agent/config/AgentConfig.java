package dev.portcullis.agent.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
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
        boolean acceptMissingState) {

    /** Where every agent on the host registers its prefixes, so two agents never claim each other's names. */
    public static final Path DEFAULT_PREFIX_REGISTRY = Path.of("/run/portcullis/agents");

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
        if (gatewayRoutes.isPresent() && (routeFile.isPresent() || store.isPresent())) {
            throw new IllegalArgumentException("routes.gateway: set together with " + (store.isPresent() ? "store" : "routeFile")
                    + " (expected: one place to publish routes: routes.gateway for a gateway that holds the store,"
                    + " store to write to etcd yourself, routeFile for a gateway without a store)");
        }
        if (routeFile.isPresent() && store.isPresent()) {
            throw new IllegalArgumentException("store: set together with routeFile (expected: one place to publish routes:"
                    + " store for gateways on other machines, routeFile for a gateway on this one)");
        }
        check("namespacePrefix", namespacePrefix, NAMESPACE_PREFIX, "1-20 of a-z, 0-9 and '-', starting with a letter");
        check("interfacePrefix", interfacePrefix, INTERFACE_PREFIX,
                "1-5 of a-z and 0-9, starting with a letter (the rest of the 15-character name is a hash)");
        check("table", tableName, TABLE, "1-32 of a-z, 0-9 and '_', starting with a letter");
        gatewayAddresses = List.copyOf(gatewayAddresses);
        blockedDestinations = List.copyOf(blockedDestinations);
        hostServices = List.copyOf(hostServices);
        dnsResolvers = List.copyOf(dnsResolvers);
        if (defaultEgressMbit < 0 || defaultEgressMbit > 100_000) {
            throw new IllegalArgumentException("defaultEgressMbit: " + defaultEgressMbit + " (expected: 0-100000, 0 = unlimited)");
        }
        if (defaultIngressMbit < 0 || defaultIngressMbit > 100_000) {
            throw new IllegalArgumentException("defaultIngressMbit: " + defaultIngressMbit + " (expected: 0-100000, 0 = unlimited)");
        }
        if (reconcileInterval.isNegative() || reconcileInterval.isZero()) {
            throw new IllegalArgumentException("reconcileInterval: " + reconcileInterval + " (expected: > 0)");
        }
        for (Ipv4Cidr gateway : gatewayAddresses) {
            if (gateway.overlaps(addressPlan.range())) {
                throw new IllegalArgumentException("gatewayAddresses: " + gateway + " overlaps the workspace range "
                        + addressPlan.range() + " (expected: gateways outside the workspace range)");
            }
        }
    }

    /**
     * The operator's explicit word (`agent run --accept-missing-state`) that a missing desired-state
     * file means "no workspaces": the agent then deletes every workspace network of its prefixes.
     */
    public AgentConfig withAcceptMissingState(boolean accept) {
        return new AgentConfig(stateDir, socketPath, namespacePrefix, interfacePrefix, tableName, addressPlan,
                gatewayAddresses, blockedDestinations, hostServices, dnsResolvers, allowHostToWorkspaces, globalForwarding,
                defaultEgressMbit, defaultIngressMbit, shapeGatewayTraffic, reconcileInterval, hostName, routeFile, store, gatewayRoutes,
                prefixRegistry, accept);
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
        public Builder dnsResolvers(List<Ipv4Cidr> v) { dnsResolvers.clear(); dnsResolvers.addAll(v); return this; }
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

        public AgentConfig build() {
            return new AgentConfig(stateDir, socketPath, namespacePrefix, interfacePrefix, tableName,
                    new AddressPlan(requireNonNull(addressRange, "addressRange"), slotPrefixLength),
                    gatewayAddresses, blockedDestinations, hostServices, dnsResolvers, allowHostToWorkspaces, globalForwarding,
                    defaultEgressMbit, defaultIngressMbit == null ? defaultEgressMbit : defaultIngressMbit,
                    shapeGatewayTraffic, reconcileInterval, hostName, Optional.ofNullable(routeFile),
                    Optional.ofNullable(store), Optional.ofNullable(gatewayRoutes), prefixRegistry, acceptMissingState);
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
