package dev.portcullis.agent.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdTls;
import dev.portcullis.store.etcd.EtcdUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads the agent's YAML config. Every error names the file, the line and the key, so an operator
 * never has to guess which of forty lines is wrong.
 */
public final class AgentConfigLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

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
        public Boolean allowHostToWorkspaces;
        public Boolean globalForwarding;
        public Integer defaultEgressMbit;
        public Integer defaultIngressMbit;
        public Boolean shapeGatewayTraffic;
        public Integer reconcileIntervalSeconds;
        public String hostName;
        public RoutesSection routes;
        public String routeFile;
        public StoreSection store;
    }

    /** {@code store:} exactly one of {@code embedded} (a file) or {@code etcd}. */
    @SuppressWarnings("unused") // fields are filled in by Jackson
    static final class StoreSection {
        public String embedded;
        public EtcdSection etcd;
        public Integer leaseTtlSeconds;
    }

    @SuppressWarnings("unused") // fields are filled in by Jackson
    static final class EtcdSection {
        public List<String> endpoints;
        public Integer timeoutMillis;
        public EtcdTlsSection tls;
        public EtcdAuthSection auth;
    }

    /** {@code store.etcd.tls}: absolute paths of PEM files. */
    @SuppressWarnings("unused") // fields are filled in by Jackson
    static final class EtcdTlsSection {
        public String caFile;
        public String certificateChain;
        public String privateKey;
    }

    /** {@code store.etcd.auth}: the user, and the file holding its password. */
    @SuppressWarnings("unused") // fields are filled in by Jackson
    static final class EtcdAuthSection {
        public String user;
        public String passwordFile;
    }

    public static AgentConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the config file: " + e.getMessage(), e);
        }
        return parse(file.toString(), text);
    }

    public static AgentConfig parse(String fileName, String text) throws ConfigException {
        ConfigFile raw;
        try {
            raw = YAML.readValue(text, ConfigFile.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(describe(fileName, e), e);
        }
        if (raw == null) {
            throw new ConfigException(fileName + ": the file is empty (expected: a YAML mapping of agent settings)", null);
        }
        Map<String, Integer> lines = keyLines(text);
        AgentConfig.Builder b = AgentConfig.builder();
        Step step = new Step(fileName, lines);
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
        step.apply("dnsResolvers", raw.dnsResolvers, v -> b.dnsResolvers(map(v, Ipv4Cidr::parse)));
        step.apply("allowHostToWorkspaces", raw.allowHostToWorkspaces, b::allowHostToWorkspaces);
        step.apply("globalForwarding", raw.globalForwarding, b::globalForwarding);
        step.apply("defaultEgressMbit", raw.defaultEgressMbit, b::defaultEgressMbit);
        step.apply("defaultIngressMbit", raw.defaultIngressMbit, b::defaultIngressMbit);
        step.apply("shapeGatewayTraffic", raw.shapeGatewayTraffic, b::shapeGatewayTraffic);
        step.apply("reconcileIntervalSeconds", raw.reconcileIntervalSeconds, v -> b.reconcileInterval(seconds(v)));
        step.apply("hostName", raw.hostName, b::hostName);
        if (raw.routes != null) {
            b.gatewayRoutes(raw.routes.toSettings(fileName, lines));
        }
        step.apply("routeFile", raw.routeFile, v -> b.routeFile(absolute("routeFile", v)));
        if (raw.store != null) {
            b.store(store(fileName, lines, raw.store));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            // Cross-key checks: the message starts with the key it is about.
            String key = e.getMessage().split(":", 2)[0];
            throw new ConfigException(where(fileName, lines.get(key)) + e.getMessage(), e);
        }
    }

    private static StoreSettings store(String fileName, Map<String, Integer> lines, StoreSection section)
            throws ConfigException {
        List<String> endpoints = section.etcd == null || section.etcd.endpoints == null ? List.of() : section.etcd.endpoints;
        if (section.etcd != null && endpoints.isEmpty()) {
            throw new ConfigException(where(fileName, lines.getOrDefault("store.etcd", lines.get("store")))
                    + "store.etcd.endpoints: missing or empty (expected: at least one etcd client URL)", null);
        }
        try {
            return new StoreSettings(
                    Optional.ofNullable(section.embedded).map(Path::of), endpoints,
                    section.leaseTtlSeconds == null ? StoreSettings.DEFAULT_LEASE_TTL : Duration.ofSeconds(section.leaseTtlSeconds),
                    section.etcd == null || section.etcd.timeoutMillis == null ? StoreSettings.DEFAULT_TIMEOUT
                            : Duration.ofMillis(section.etcd.timeoutMillis),
                    section.etcd == null || section.etcd.tls == null ? Optional.empty() : Optional.of(etcdTls(section.etcd.tls)),
                    section.etcd == null || section.etcd.auth == null ? Optional.empty() : Optional.of(etcdUser(section.etcd.auth)));
        } catch (IllegalArgumentException e) {
            // The message starts with the key path, e.g. "store.etcd.tls.caFile: ...": its line, or its section's.
            Integer line = null;
            for (String key = e.getMessage().split(":", 2)[0]; line == null && key.contains("."); key = key.substring(0, key.lastIndexOf('.'))) {
                line = lines.get(key);
            }
            if (line == null) {
                line = lines.get("store");
            }
            throw new ConfigException(where(fileName, line) + e.getMessage(), e);
        }
    }

    private static EtcdTls etcdTls(EtcdTlsSection tls) {
        return EtcdTls.fromConfig(pathOf(tls.caFile), pathOf(tls.certificateChain), pathOf(tls.privateKey));
    }

    private static EtcdUser etcdUser(EtcdAuthSection auth) {
        return EtcdUser.fromConfig(auth.user, pathOf(auth.passwordFile));
    }

    private static Path pathOf(String path) {
        return path == null ? null : Path.of(path);
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

    private record Step(String fileName, Map<String, Integer> lines) {
        <T> void apply(String key, T value, java.util.function.Consumer<T> setter) throws ConfigException {
            if (value == null) {
                return;
            }
            try {
                setter.accept(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where(fileName, lines.get(key)) + key + ": " + e.getMessage(), e);
            }
        }
    }

    static String where(String fileName, Integer line) {
        return line == null ? fileName + ": " : fileName + ":" + line + ": ";
    }

    private static String describe(String fileName, JsonProcessingException e) {
        JsonLocation location = e.getLocation();
        String line = location == null || location.getLineNr() < 1 ? "" : ":" + location.getLineNr();
        String key = "";
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            key = m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[") + ": ";
        }
        return fileName + line + ": " + key + e.getOriginalMessage().split("\n", 2)[0];
    }

    /**
     * Line numbers of the keys, by dotted path ({@code routeFile}, {@code store.etcd.endpoints}),
     * for errors found after binding. Keys inside lists are not recorded.
     */
    private static Map<String, Integer> keyLines(String text) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser parser = YAML.getFactory().createParser(text)) {
            // The path of the object being read; listMarker entries are lists, whose keys are not recorded.
            final String listMarker = "\u0000list";
            java.util.Deque<String> path = new java.util.ArrayDeque<>();
            String lastKey = null;
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token.isStructStart()) {
                    boolean inList = path.contains(listMarker);
                    String parent = path.isEmpty() ? "" : path.peek();
                    if (token == JsonToken.START_ARRAY || inList) {
                        path.push(listMarker);
                    } else if (lastKey == null) {
                        path.push("");
                    } else {
                        path.push(parent.isEmpty() ? lastKey : parent + "." + lastKey);
                    }
                    lastKey = null;
                } else if (token.isStructEnd()) {
                    path.pop();
                } else if (token == JsonToken.FIELD_NAME && !path.contains(listMarker)) {
                    lastKey = parser.currentName();
                    String parent = path.isEmpty() ? "" : path.peek();
                    lines.putIfAbsent(parent.isEmpty() ? lastKey : parent + "." + lastKey,
                            parser.currentTokenLocation().getLineNr());
                } else {
                    lastKey = null;
                }
            }
        } catch (IOException e) {
            // Already parsed once; a second failure only costs us line numbers.
        }
        return lines;
    }
}
