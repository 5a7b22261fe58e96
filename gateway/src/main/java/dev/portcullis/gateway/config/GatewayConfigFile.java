package dev.portcullis.gateway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The gateway's YAML config file, as written by an operator. Every value is checked where it is
 * read, so a mistake is reported with its line and key; see docs/configuration.md.
 */
public final class GatewayConfigFile {
    // Plain fields, not a record: Jackson then reports an unknown key at its own line, where a
    // record's creator would only notice it at the end of the enclosing block.
    @JsonProperty("listen")
    public List<ListenAddress> listen;
    @JsonProperty("redirectListen")
    public List<ListenAddress> redirectListen;
    @JsonProperty("adminListen")
    public ListenAddress adminListen;
    @JsonProperty("adminReadTokenFile")
    public String adminReadTokenFile;
    @JsonProperty("transport")
    public String transport;
    @JsonProperty("baseDomains")
    public List<BaseDomain> baseDomains;
    @JsonProperty("tls")
    public Tls tls;
    @JsonProperty("timeouts")
    public TimeoutsSection timeouts;
    @JsonProperty("limits")
    public LimitsSection limits;
    @JsonProperty("eventLoopThreads")
    public Integer eventLoopThreads;
    @JsonProperty("routes")
    public List<Route> routes;
    @JsonProperty("routeFiles")
    public List<String> routeFiles;
    @JsonProperty("identity")
    public IdentitySection identity;
    @JsonProperty("access")
    public AccessSection access;
    @JsonProperty("store")
    public StoreSection store;
    /** Without {@code identity}, the config must say out loud that every port is open to anyone. */
    @JsonProperty("insecureOpenAccess")
    public Boolean insecureOpenAccess;
    @JsonProperty("fairness")
    public FairnessSection fairness;
    @JsonProperty("hostRoutes")
    public HostRoutesSection hostRoutes;
    @JsonProperty("forwarding")
    public ForwardingSection forwarding;
    /** Required: a gateway that routed anywhere would send requests and credentials wherever a route says. */
    @JsonProperty("workspaceAddressRanges")
    public List<ConfigAddressRange> workspaceAddressRanges;
    @JsonProperty("signin")
    public SignInSection signin;

    /** Reads and validates {@code file}; relative TLS paths are taken from the file's folder. */
    public static GatewayConfig load(Path file) throws ConfigException {
        return load(file, YamlConfigReader.readText(file));
    }

    /**
     * Reads and validates {@code content} as if it were {@code file}'s: errors name {@code file}, and
     * relative paths are taken from its folder ({@code ./portcullis config check} edits the text).
     */
    public static GatewayConfig load(Path file, String content) throws ConfigException {
        GatewayConfigFile parsed = YamlConfigReader.read(file, content, GatewayConfigFile.class);
        Path folder = file.toAbsolutePath().getParent();
        try {
            return parsed.toConfig(folder);
        } catch (IllegalArgumentException e) {
            // Checks across keys come after binding: the message starts with the key, whose line is looked up.
            // A key that is not in the file at all (a required one missing) is named at line 1, where the
            // top-level map it belongs in starts, so every message has a line editors can jump to.
            int line = YamlConfigReader.lineOf(content, e.getMessage().split(":", 2)[0]);
            throw new ConfigException(file + ":" + Math.max(line, 1) + ": " + e.getMessage(), e);
        }
    }

    private GatewayConfig toConfig(Path folder) {
        require(listen, "listen");
        require(baseDomains, "baseDomains");
        require(tls, "tls");
        require(tls.certificates, "tls.certificates");
        if (workspaceAddressRanges == null || workspaceAddressRanges.isEmpty()) {
            throw new IllegalArgumentException("workspaceAddressRanges: missing or empty (expected: the networks workspace"
                    + " addresses are in, such as [10.213.0.0/16]; a route anywhere else is refused. For workspaces on"
                    + " loopback in development: [127.0.0.0/8])");
        }
        boolean open = Boolean.TRUE.equals(insecureOpenAccess);
        if (identity == null && !open) {
            throw new IllegalArgumentException("identity: missing (expected: the token issuers to enforce access with;"
                    + " or 'insecureOpenAccess: true' to open every workspace port to anyone, for development only)");
        }
        if (identity != null && open) {
            throw new IllegalArgumentException("insecureOpenAccess: true together with identity (expected: one of them)");
        }
        if (transport != null && !transport.equalsIgnoreCase("auto") && Transport.fromConfigName(transport).isEmpty()) {
            throw new IllegalArgumentException("transport: '" + transport + "' (expected: auto, io_uring, epoll or nio)");
        }
        boolean forced = transport != null && !transport.equalsIgnoreCase("auto");
        Transport chosen = forced ? Transport.fromConfigName(transport).orElseThrow() : Transport.best();
        if (!chosen.isAvailable()) {
            throw new IllegalArgumentException("transport: '" + transport + "' is not available on this machine: "
                    + chosen.unavailabilityCause());
        }
        List<WorkspaceRoute> table = new ArrayList<>();
        for (Route route : routes == null ? List.<Route>of() : routes) {
            require(route.workspace, "routes[].workspace");
            require(route.address, "routes[].address");
            boolean running = route.state == null || route.state.running();
            Set<Integer> tlsPorts = route.tlsPorts == null ? Set.of() : Set.copyOf(route.tlsPorts);
            if (route.owner == null) {
                if (route.org != null || route.labels != null) {
                    throw new IllegalArgumentException("routes[].owner: missing (an org or labels need an owner)");
                }
                table.add(new WorkspaceRoute(route.workspace, route.address.address(), running, tlsPorts));
            } else {
                table.add(WorkspaceRoute.owned(route.workspace, route.address.address(), running, tlsPorts,
                        route.owner, route.org, route.labels == null ? Map.of() : route.labels));
            }
        }
        RouteTable routeTable;
        try {
            routeTable = RouteTable.of(table);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("routes: " + e.getMessage(), e);
        }
        List<GatewayConfig.TlsFiles> certificates = new ArrayList<>();
        for (Certificate certificate : tls.certificates) {
            require(certificate.certificateChain, "tls.certificates[].certificateChain");
            require(certificate.privateKey, "tls.certificates[].privateKey");
            certificates.add(new GatewayConfig.TlsFiles(folder.resolve(certificate.certificateChain),
                    folder.resolve(certificate.privateKey)));
        }
        return new GatewayConfig(
                listen.stream().map(ListenAddress::address).toList(),
                redirectListen == null ? List.of() : redirectListen.stream().map(ListenAddress::address).toList(),
                adminListen == null ? GatewayConfig.DEFAULT_ADMIN_LISTENER : adminListen.address(),
                chosen,
                forced,
                baseDomains.stream().map(BaseDomain::name).toList(),
                new GatewayConfig.TlsSettings(certificates,
                        tls.provider == null ? GatewayConfig.TlsProvider.AUTO : tls.provider.value(),
                        tls.reloadInterval == null ? GatewayConfig.TlsSettings.DEFAULT_RELOAD_INTERVAL : tls.reloadInterval.value(),
                        tls.hstsMaxAge == null ? GatewayConfig.TlsSettings.DEFAULT_HSTS_MAX_AGE : tls.hstsMaxAge.value()),
                timeouts == null ? Timeouts.DEFAULTS : timeouts.toTimeouts(),
                limits == null ? Limits.DEFAULTS : limits.toLimits(),
                eventLoopThreads == null ? 0 : eventLoopThreads,
                routeTable,
                routeFiles == null ? List.of() : routeFiles.stream().map(folder::resolve).toList(),
                identity == null ? Optional.empty() : Optional.of(identity.toConfig(folder)),
                access == null ? AccessSettings.DEFAULTS : access.toSettings(folder),
                fairness == null ? Optional.empty() : Optional.of(fairness.toSettings()),
                store == null ? Optional.empty() : Optional.of(store.toSettings()),
                hostRoutes == null ? List.of() : hostRoutes.ranges(store != null && identity != null),
                forwarding == null ? Forwarding.DEFAULTS : forwarding.toForwarding(),
                workspaceAddressRanges.stream().map(ConfigAddressRange::range).toList(),
                adminReadTokenFile == null ? Optional.empty() : Optional.of(folder.resolve(adminReadTokenFile)),
                signin == null ? Optional.empty() : Optional.of(signin.toSettings(folder)));
    }

    /** {@code forwarding}: the headers that tell a workspace who called and how (docs/configuration.md). */
    public static final class ForwardingSection {
        @JsonProperty("forwardedHeader")
        public Boolean forwardedHeader;

        Forwarding toForwarding() {
            return new Forwarding(Boolean.TRUE.equals(forwardedHeader));
        }
    }

    /** {@code hostRoutes}: host agents publishing their routes through the admin listener (docs/store.md). */
    public static final class HostRoutesSection {
        @JsonProperty("addressRanges")
        public List<ConfigAddressRange> addressRanges;

        List<AddressRange> ranges(boolean storeAndIdentity) {
            if (addressRanges == null || addressRanges.isEmpty()) {
                throw new IllegalArgumentException("hostRoutes.addressRanges: missing or empty (expected: the networks"
                        + " host agents may publish workspace addresses in, such as [10.213.0.0/16])");
            }
            if (!storeAndIdentity) {
                throw new IllegalArgumentException("hostRoutes: set without store and identity (expected: both: hosts"
                        + " write into the store, with tokens from the identity issuers)");
            }
            return addressRanges.stream().map(ConfigAddressRange::range).toList();
        }
    }

    /** A network such as {@code 10.213.0.0/16}. */
    public record ConfigAddressRange(AddressRange range) {
        @JsonCreator
        public static ConfigAddressRange parse(String value) {
            return new ConfigAddressRange(AddressRange.parse(value));
        }
    }

    /** The {@code access} section: where policies and shares are kept, and the defaults. */
    public static final class AccessSection {
        @JsonProperty("stateDirectory")
        public String stateDirectory;
        @JsonProperty("defaultMaxLevel")
        public Level defaultMaxLevel;
        @JsonProperty("adminClaim")
        public String adminClaim;
        @JsonProperty("identityAssertion")
        public IdentityAssertionSection identityAssertion;

        AccessSettings toSettings(Path folder) {
            AccessSettings defaults = AccessSettings.DEFAULTS;
            IdentityAssertionSection assertion = identityAssertion == null ? new IdentityAssertionSection() : identityAssertion;
            return new AccessSettings(
                    stateDirectory == null ? Optional.empty() : Optional.of(folder.resolve(stateDirectory)),
                    defaultMaxLevel == null ? defaults.defaultMaxLevel() : defaultMaxLevel.level(),
                    adminClaim == null ? defaults.adminClaim() : adminClaim,
                    assertion.keyFile == null ? Optional.empty() : Optional.of(folder.resolve(assertion.keyFile)),
                    assertion.lifetime == null ? defaults.assertionLifetime() : assertion.lifetime.value());
        }
    }

    /** {@code access.identityAssertion}: the gateway's signed statement of the caller, for workspaces that want it. */
    public static final class IdentityAssertionSection {
        @JsonProperty("keyFile")
        public String keyFile;
        @JsonProperty("lifetime")
        public ConfigDuration lifetime;
    }

    /** A share level by its config name: owner, users, organization, authenticated or public. */
    public record Level(ShareLevel level) {
        @JsonCreator
        public static Level parse(String name) {
            return new Level(ShareLevel.ofConfigName(name)); // its error names the value and every accepted one
        }
    }

    private static void require(Object value, String key) {
        if (value == null) {
            throw new IllegalArgumentException(key + ": missing (this key is required)");
        }
    }

    public static final class Tls {
        @JsonProperty("certificates")
        public List<Certificate> certificates;
        @JsonProperty("provider")
        public Provider provider;
        @JsonProperty("reloadInterval")
        public ConfigDuration reloadInterval;
        @JsonProperty("hstsMaxAge")
        public ConfigDuration hstsMaxAge;
    }

    public static final class Certificate {
        @JsonProperty("certificateChain")
        public String certificateChain;
        @JsonProperty("privateKey")
        public String privateKey;
    }

    /** {@code auto}, {@code openssl} or {@code jdk}. */
    public record Provider(GatewayConfig.TlsProvider value) {
        @JsonCreator
        public static Provider parse(String text) {
            for (GatewayConfig.TlsProvider provider : GatewayConfig.TlsProvider.values()) {
                if (provider.name().equalsIgnoreCase(text)) {
                    return new Provider(provider);
                }
            }
            throw new IllegalArgumentException("'" + text + "' (expected: auto, openssl or jdk)");
        }
    }

    public static final class LimitsSection {
        @JsonProperty("maxConnections")
        public Integer maxConnections;
        @JsonProperty("maxRequestBody")
        public ConfigSize maxRequestBody;
        @JsonProperty("drainTimeout")
        public ConfigDuration drainTimeout;
        @JsonProperty("maxConnectionsPerAddress")
        public Integer maxConnectionsPerAddress;
        @JsonProperty("maxHeaderFields")
        public Integer maxHeaderFields;
        @JsonProperty("maxWorkspaceConnectionsPerClientConnection")
        public Integer maxWorkspaceConnectionsPerClientConnection;
        @JsonProperty("maxWorkspaceConnectionsPerPrincipal")
        public Integer maxWorkspaceConnectionsPerPrincipal;
        @JsonProperty("maxWorkspaceConnectionsPerWorkspace")
        public Integer maxWorkspaceConnectionsPerWorkspace;
        @JsonProperty("maxFileDescriptors")
        public Long maxFileDescriptors;
        @JsonProperty("fileDescriptorReserve")
        public Long fileDescriptorReserve;

        Limits toLimits() {
            Limits defaults = Limits.DEFAULTS;
            Limits limits = new Limits(
                    maxConnections == null ? defaults.maxConnections() : maxConnections,
                    maxRequestBody == null ? defaults.maxRequestBody() : maxRequestBody.bytes(),
                    drainTimeout == null ? defaults.drainTimeout() : drainTimeout.value());
            if (maxConnectionsPerAddress != null) {
                limits = limits.withMaxConnectionsPerAddress(maxConnectionsPerAddress);
            }
            if (maxHeaderFields != null) {
                limits = limits.withMaxHeaderFields(maxHeaderFields);
            }
            WorkspaceConnectionLimits workspace = WorkspaceConnectionLimits.DEFAULTS;
            return limits.withWorkspaceConnections(new WorkspaceConnectionLimits(
                    orDefault(maxWorkspaceConnectionsPerClientConnection, workspace.perClientConnection()),
                    orDefault(maxWorkspaceConnectionsPerPrincipal, workspace.perPrincipal()),
                    orDefault(maxWorkspaceConnectionsPerWorkspace, workspace.perWorkspace()),
                    maxFileDescriptors == null ? workspace.maxFileDescriptors() : maxFileDescriptors,
                    fileDescriptorReserve == null ? workspace.fileDescriptorReserve() : fileDescriptorReserve));
        }

        private static int orDefault(Integer value, int fallback) {
            return value == null ? fallback : value;
        }
    }

    /** A size written as {@code 0}, {@code 512KiB}, {@code 100MiB} or {@code 2GiB}. */
    public record ConfigSize(long bytes) {
        /** A bare number is bytes: YAML reads {@code maxRequestBody: 0} as a number, not as text. */
        @JsonCreator
        public static ConfigSize of(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException(bytes + " (expected: a size >= 0, e.g. 0, 512KiB or 100MiB)");
            }
            return new ConfigSize(bytes);
        }

        @JsonCreator
        public static ConfigSize parse(String text) {
            String trimmed = text.trim();
            int unitStart = 0;
            while (unitStart < trimmed.length() && Character.isDigit(trimmed.charAt(unitStart))) {
                unitStart++;
            }
            if (unitStart == 0 || unitStart > 12) {
                throw new IllegalArgumentException("'" + text + "' (expected: a number and a unit: B, KiB, MiB or GiB)");
            }
            long amount = Long.parseLong(trimmed.substring(0, unitStart));
            long unit = switch (trimmed.substring(unitStart)) {
                case "", "B" -> 1;
                case "KiB" -> 1L << 10;
                case "MiB" -> 1L << 20;
                case "GiB" -> 1L << 30;
                default -> throw new IllegalArgumentException("'" + text + "' (expected: a number and a unit: B, KiB, MiB or GiB)");
            };
            return new ConfigSize(amount * unit);
        }
    }

    public static final class TimeoutsSection {
        @JsonProperty("requestHead")
        public ConfigDuration requestHead;
        @JsonProperty("connect")
        public ConfigDuration connect;
        @JsonProperty("responseHead")
        public ConfigDuration responseHead;
        @JsonProperty("idle")
        public ConfigDuration idle;
        @JsonProperty("http2Idle")
        public ConfigDuration http2Idle;
        @JsonProperty("requestBodyProgress")
        public ConfigDuration requestBodyProgress;

        Timeouts toTimeouts() {
            Timeouts defaults = Timeouts.DEFAULTS;
            Timeouts timeouts = new Timeouts(
                    requestHead == null ? defaults.requestHead() : requestHead.value(),
                    connect == null ? defaults.connect() : connect.value(),
                    responseHead == null ? defaults.responseHead() : responseHead.value(),
                    idle == null ? defaults.idle() : idle.value());
            if (http2Idle != null) {
                timeouts = timeouts.withHttp2Idle(http2Idle.value());
            }
            return requestBodyProgress == null ? timeouts : timeouts.withRequestBodyProgress(requestBodyProgress.value());
        }
    }

    public static final class Route {
        public String workspace;
        @JsonProperty("address")
        public IpAddress address;
        @JsonProperty("state")
        public RouteState state;
        @JsonProperty("tlsPorts")
        public List<Integer> tlsPorts;
        /** The user id of the workspace's owner; without it, nobody may reach the workspace while access is enforced. */
        @JsonProperty("owner")
        public String owner;
        @JsonProperty("org")
        public String org;
        @JsonProperty("labels")
        public Map<String, String> labels;

        @JsonProperty("workspace")
        public void setWorkspace(String workspace) {
            this.workspace = WorkspaceId.of(workspace).value();
        }
    }

    /** {@code running} (the default) or {@code stopped}. */
    public record RouteState(boolean running) {
        @JsonCreator
        public static RouteState parse(String text) {
            return switch (text) {
                case "running" -> new RouteState(true);
                case "stopped" -> new RouteState(false);
                default -> throw new IllegalArgumentException("'" + text + "' (expected: running or stopped)");
            };
        }
    }

    /** {@code host:port} or {@code [v6]:port}; the host must be an IP literal, never a name to resolve. */
    public record ListenAddress(InetSocketAddress address) {
        @JsonCreator
        public static ListenAddress parse(String value) {
            int colon = value.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("'" + value + "' (expected: <ip>:<port>, e.g. 0.0.0.0:443 or [::]:443)");
            }
            String host = value.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port in '" + value + "' (expected: 0-65535)");
            }
            return new ListenAddress(new InetSocketAddress(IpAddress.parse(host).address(), port));
        }
    }

    /** An IP literal. Names are refused: the gateway never asks DNS where anything is. */
    public record IpAddress(InetAddress address) {
        @JsonCreator
        public static IpAddress parse(String value) {
            InetAddress address = NetUtil.createInetAddressFromIpAddressString(value);
            if (address == null) {
                throw new IllegalArgumentException("'" + value + "' (expected: an IPv4 or IPv6 address, not a name)");
            }
            return new IpAddress(address);
        }
    }

    /** A DNS domain such as {@code ws.example.com}, kept in lowercase. */
    public record BaseDomain(String name) {
        @JsonCreator
        public static BaseDomain parse(String value) {
            String name = value.toLowerCase(Locale.ROOT);
            if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || !name.matches("[a-z0-9.-]+")
                    || name.contains("..")) {
                throw new IllegalArgumentException("'" + value + "' (expected: a domain such as ws.example.com)");
            }
            return new BaseDomain(name);
        }
    }

    /** A duration written as {@code 500ms}, {@code 5s}, {@code 2m} or {@code 1h}. */
    public record ConfigDuration(Duration value) {
        @JsonCreator
        public static ConfigDuration parse(String text) {
            String trimmed = text.trim();
            int unitStart = 0;
            while (unitStart < trimmed.length() && Character.isDigit(trimmed.charAt(unitStart))) {
                unitStart++;
            }
            if (unitStart == 0 || unitStart > 9) {
                throw new IllegalArgumentException("'" + text + "' (expected: a number and a unit: ms, s, m, h or d)");
            }
            long amount = Long.parseLong(trimmed.substring(0, unitStart));
            Duration value = switch (trimmed.substring(unitStart)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> throw new IllegalArgumentException("'" + text + "' (expected: a number and a unit: ms, s, m, h or d)");
            };
            return new ConfigDuration(value);
        }
    }
}
