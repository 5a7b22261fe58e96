package dev.portcullis.agent.config;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.config.ConfigException;
import dev.portcullis.config.ConfigProblems;
import dev.portcullis.config.YamlBinder;
import dev.portcullis.store.config.StoreSection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads the agent's YAML config. Every error names the file, the line and the key, so an operator
 * never has to guess which of forty lines is wrong.
 */
public final class AgentConfigLoader {

    private AgentConfigLoader() {}

    /** The keys of the file; a missing key keeps the default of {@link AgentConfig#builder()}. */
    @SuppressWarnings("unused") // fields are filled in by Jackson
    static final class ConfigFile {
        public String stateDir;
        public String socket;
        public String namespacePrefix;
        public String interfacePrefix;
        public String table;
        public String addressRange;
        public Integer slotPrefixLength;
        public List<String> gatewayAddresses;
        public List<String> blockedDestinations;
        public List<String> hostServices;
        public List<String> dnsResolvers;
        public String workspaceIpv6Prefix;
        public List<String> gatewayIpv6Addresses;
        public List<String> blockedIpv6Destinations;
        public Boolean allowHostToWorkspaces;
        public Boolean globalForwarding;
        public Integer defaultEgressMbit;
        public Integer defaultIngressMbit;
        public Boolean shapeGatewayTraffic;
        public Integer reconcileIntervalSeconds;
        public String hostName;
        public RoutesSection routes;
        public String routeFile;
        public StoreSection.WithLease store;
        public UplinkSection uplink;
        public Integer spareNamespaces;
    }

    public static AgentConfig load(Path file) throws ConfigException {
        return parse(file.toString(), YamlBinder.readText(file));
    }

    /** Reads {@code text} as {@code fileName}'s; every problem of the file at once, each at its key. */
    public static AgentConfig parse(String fileName, String text) throws ConfigException {
        YamlBinder.Bound<ConfigFile> bound = YamlBinder.bind(fileName, text, ConfigFile.class);
        ConfigFile raw = bound.value();
        AgentConfig.Builder b = AgentConfig.builder();
        ConfigProblems step = bound.problems(); // each step checks one key and keeps its problem
        step.apply("stateDir", raw.stateDir, v -> b.stateDir(absolute("stateDir", v)));
        step.apply("socket", raw.socket, v -> b.socketPath(absolute("socket", v)));
        step.apply("namespacePrefix", raw.namespacePrefix, b::namespacePrefix);
        step.apply("interfacePrefix", raw.interfacePrefix, b::interfacePrefix);
        step.apply("table", raw.table, b::tableName);
        step.apply("addressRange", raw.addressRange, v -> b.addressRange(Ipv4Cidr.parse(v)));
        step.apply("slotPrefixLength", raw.slotPrefixLength, b::slotPrefixLength);
        step.apply("gatewayAddresses", raw.gatewayAddresses, v -> b.gatewayAddresses(map(v, Ipv4Cidr::parse)));
        step.apply("blockedDestinations", raw.blockedDestinations, v -> b.blockedDestinations(map(v, Ipv4Cidr::parse)));
        step.apply("hostServices", raw.hostServices, v -> b.hostServices(map(v, HostService::parse)));
        step.apply("dnsResolvers", raw.dnsResolvers, v -> {
            // Either family: an entry with a ':' is IPv6; both lists replace the defaults from resolv.conf.
            b.dnsResolvers(map(v.stream().filter(r -> r == null || !r.contains(":")).toList(), Ipv4Cidr::parse));
            b.dnsIpv6Resolvers(map(v.stream().filter(r -> r != null && r.contains(":")).toList(), Ipv6Cidr::parse));
        });
        step.apply("workspaceIpv6Prefix", raw.workspaceIpv6Prefix, v -> b.workspaceIpv6Prefix(Ipv6Cidr.parse(v)));
        step.apply("gatewayIpv6Addresses", raw.gatewayIpv6Addresses, v -> b.gatewayIpv6Addresses(map(v, Ipv6Cidr::parse)));
        step.apply("blockedIpv6Destinations", raw.blockedIpv6Destinations,
                v -> b.blockedIpv6Destinations(map(v, Ipv6Cidr::parse)));
        step.apply("allowHostToWorkspaces", raw.allowHostToWorkspaces, b::allowHostToWorkspaces);
        step.apply("globalForwarding", raw.globalForwarding, b::globalForwarding);
        step.apply("defaultEgressMbit", raw.defaultEgressMbit, b::defaultEgressMbit);
        step.apply("defaultIngressMbit", raw.defaultIngressMbit, b::defaultIngressMbit);
        step.apply("shapeGatewayTraffic", raw.shapeGatewayTraffic, b::shapeGatewayTraffic);
        step.apply("reconcileIntervalSeconds", raw.reconcileIntervalSeconds, v -> b.reconcileInterval(seconds(v)));
        step.apply("hostName", raw.hostName, b::hostName);
        step.apply("routes", raw.routes, v -> b.gatewayRoutes(v.toSettings()));
        step.apply("routeFile", raw.routeFile, v -> b.routeFile(absolute("routeFile", v)));
        step.apply("store", raw.store, v -> b.store(v.toSettings()));
        step.apply("uplink", raw.uplink, v -> b.uplink(v.toSettings()));
        step.apply("spareNamespaces", raw.spareNamespaces, b::spareNamespaces);
        step.throwIfAny();
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw bound.refusal(e); // checks across keys name the key they are about
        }
    }

    private static Duration seconds(int value) {
        if (value < 1 || value > 86_400) {
            throw new IllegalArgumentException(value + " (expected: 1-86400)");
        }
        return Duration.ofSeconds(value);
    }

    private static Path absolute(String key, String value) {
        Path path = Path.of(value);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("'" + value + "' (expected: an absolute path)");
        }
        return path;
    }

    private static <T> List<T> map(List<String> values, Function<String, T> parse) {
        return values.stream().map(parse).collect(Collectors.toList());
    }
}
