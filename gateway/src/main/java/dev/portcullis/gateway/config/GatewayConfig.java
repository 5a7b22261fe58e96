package dev.portcullis.gateway.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.fairness.FairnessSettings;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.RouteGuard;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.store.StoreSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Everything a running gateway needs, validated and immutable. Built from a config file by
 * {@link GatewayConfigFile#load(Path)}, or in code with {@link #builder()}.
 *
 * @param listeners         the HTTPS addresses to bind
 * @param redirectListeners plain-HTTP addresses that only redirect to HTTPS (may be empty)
 * @param adminListener     the operator's listener: health, readiness, metrics
 * @param transport         the socket layer to run on
 * @param transportForced   whether the config named the transport (otherwise it was the best available)
 * @param baseDomains       the domains under which {@code <port>-<workspace>} names are served
 * @param tls               the certificates presented to clients and how they are served
 * @param timeouts          how long to wait for what
 * @param limits            bounds on connections and bodies, and the shutdown drain
 * @param eventLoopThreads  event loop threads; 0 means one per core
 * @param routes            static workspace routes
 * @param routeFiles        route files written by host agents on this machine, watched for changes
 * @param identity          when present, access is enforced: every request is authenticated (JWT from one
 *                          of its issuers, or anonymous) and decided by the port-sharing policy
 * @param access            where policies and shares are kept, and the defaults when an org has none
 * @param fairness          when present, the node's bandwidth is shared between workspaces (docs/fairness.md)
 * @param store             when present, routes, shares and policies come from this store (static
 *                          {@code routes} still win); excludes {@code routeFiles} and {@code access.stateDirectory}
 * @param signIn            browser sign-in with an OpenID Connect provider; empty: browsers sign in only with
 *                          a one-time {@code ?access_token=} link
 * @param hostRouteRanges   the networks host agents may publish workspace addresses in, through the host
 *                          API (which needs {@code identity} and {@code store}); empty: the host API is off.
 *                          Each lies inside {@code workspaceRanges}
 * @param forwarding        which forwarding headers workspaces receive besides {@code X-Forwarded-*}
 * @param workspaceRanges   the networks workspace addresses are in: a route from any source (static, route
 *                          file, store) to an address outside them, or to the gateway's own host, is refused
 *                          ({@link RouteGuard}); empty: every route is refused
 * @param adminReadTokenFile a file holding the bearer token that reads the admin listener's full
 *                          {@code /metrics}; without it, only a loopback admin listener serves
 *                          {@code /metrics}, and without any series that names a workspace
 */
public record GatewayConfig(
        List<InetSocketAddress> listeners,
        List<InetSocketAddress> redirectListeners,
        InetSocketAddress adminListener,
        Transport transport,
        boolean transportForced,
        List<String> baseDomains,
        TlsSettings tls,
        Timeouts timeouts,
        Limits limits,
        int eventLoopThreads,
        RouteTable routes,
        List<Path> routeFiles,
        Optional<IdentityVerifierConfig> identity,
        AccessSettings access,
        Optional<FairnessSettings> fairness,
        Optional<StoreSettings> store,
        List<AddressRange> hostRouteRanges,
        Forwarding forwarding,
        List<AddressRange> workspaceRanges,
        Optional<Path> adminReadTokenFile,
        Optional<SignInSettings> signIn) {

    public GatewayConfig {
        requireNonNull(signIn, "signIn");
        if (signIn.isPresent() && identity.isEmpty()) {
            throw new IllegalArgumentException("signin: set without identity (expected: identity too; sign-in makes"
                    + " browser sessions for the callers that identity and the policy decide on)");
        }
        if (signIn.isPresent() && identity.get().issuers().stream()
                .noneMatch(issuer -> issuer.issuer().equals(signIn.get().issuer().toString()))) {
            // A session's caller is mapped and restored through its issuer's entry (claim names, alias,
            // orgs, admin rule), exactly as that issuer's bearer tokens are: without one it has no meaning.
            throw new IllegalArgumentException("signin.issuer: '" + signIn.get().issuer() + "' is not among the trusted"
                    + " issuers " + identity.get().issuers().stream().map(i -> i.issuer()).sorted().toList()
                    + " (expected: the provider listed under identity.issuers too, with its alias and orgs)");
        }
        hostRouteRanges = List.copyOf(hostRouteRanges);
        workspaceRanges = List.copyOf(workspaceRanges);
        requireNonNull(adminReadTokenFile, "adminReadTokenFile");
        listeners = List.copyOf(listeners);
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("listen: empty (expected: at least one address to bind)");
        }
        redirectListeners = List.copyOf(redirectListeners);
        requireNonNull(adminListener, "adminListener");
        requireNonNull(transport, "transport");
        baseDomains = List.copyOf(baseDomains);
        if (baseDomains.isEmpty()) {
            throw new IllegalArgumentException("baseDomains: empty (expected: at least one domain)");
        }
        requireNonNull(tls, "tls");
        requireNonNull(timeouts, "timeouts");
        requireNonNull(limits, "limits");
        if (eventLoopThreads < 0) {
            throw new IllegalArgumentException("eventLoopThreads: " + eventLoopThreads + " (expected: >= 0)");
        }
        requireNonNull(routes, "routes");
        routeFiles = List.copyOf(routeFiles);
        requireNonNull(identity, "identity");
        requireNonNull(access, "access");
        requireNonNull(fairness, "fairness");
        requireNonNull(store, "store");
        requireNonNull(forwarding, "forwarding");
        if (store.isPresent() && !routeFiles.isEmpty()) {
            throw new IllegalArgumentException("routeFiles: set together with store (expected: one of them;"
                    + " with a store, agents publish routes there)");
        }
        for (AddressRange hostRange : hostRouteRanges) {
            if (workspaceRanges.stream().noneMatch(range -> range.encloses(hostRange))) {
                throw new IllegalArgumentException("hostRoutes.addressRanges: " + hostRange + " is not inside"
                        + " workspaceAddressRanges " + workspaceRanges + " (expected: hosts publish only workspace addresses)");
            }
        }
        checkStaticRoutes(routes, workspaceRanges, listeners, redirectListeners, adminListener);
        if (store.isPresent() && access.stateDirectory().isPresent()) {
            throw new IllegalArgumentException("access.stateDirectory: set together with store (expected: one of them;"
                    + " with a store, policies and shares live there)");
        }
    }

    /** A static route into the gateway's own addresses or outside the ranges is a config error, not a log line. */
    private static void checkStaticRoutes(RouteTable routes, List<AddressRange> workspaceRanges,
                                          List<InetSocketAddress> listeners, List<InetSocketAddress> redirectListeners,
                                          InetSocketAddress adminListener) {
        Set<InetAddress> gatewayAddresses = new HashSet<>();
        Stream.concat(Stream.concat(listeners.stream(), redirectListeners.stream()), Stream.of(adminListener))
                .map(InetSocketAddress::getAddress).filter(address -> address != null && !address.isAnyLocalAddress())
                .forEach(gatewayAddresses::add);
        RouteGuard guard = RouteGuard.withAddresses(workspaceRanges, gatewayAddresses);
        for (WorkspaceRoute route : routes.routes()) {
            RouteGuard.Refusal refusal = guard.refusal(route.address());
            if (refusal != null) {
                throw new IllegalArgumentException("routes: workspace '" + route.workspaceId() + "' refused: "
                        + refusal.message());
            }
        }
    }

    /** The admin listener unless configured: loopback only, so metrics are not public by accident. */
    public static final InetSocketAddress DEFAULT_ADMIN_LISTENER = new InetSocketAddress("127.0.0.1", 9090);

    public static Builder builder() {
        return new Builder();
    }

    /** PEM files: the certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1). */
    public record TlsFiles(Path certificateChain, Path privateKey) {
        public TlsFiles {
            requireNonNull(certificateChain, "certificateChain");
            requireNonNull(privateKey, "privateKey");
        }
    }

    /**
     * @param certificates   one entry per certificate; SNI picks the one whose names match, the first
     *                       one serves clients that send no or an unknown server name
     * @param provider       which TLS implementation serves them
     * @param reloadInterval how often the files are checked for changes (a changed file is reloaded
     *                       for new connections; open connections keep their session)
     */
    /**
     * @param hstsMaxAge the {@code max-age} of the {@code Strict-Transport-Security} header on every
     *                   HTTPS response (whole seconds; zero sends no header)
     */
    public record TlsSettings(List<TlsFiles> certificates, TlsProvider provider, Duration reloadInterval,
                              Duration hstsMaxAge) {
        public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);
        /** A year: what browsers' preload lists ask for, and long enough to matter. */
        public static final Duration DEFAULT_HSTS_MAX_AGE = Duration.ofDays(365);

        public TlsSettings {
            certificates = List.copyOf(certificates);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("tls.certificates: empty (expected: at least one certificate)");
            }
            requireNonNull(provider, "provider");
            requireNonNull(reloadInterval, "reloadInterval");
            if (reloadInterval.isNegative() || reloadInterval.isZero()) {
                throw new IllegalArgumentException("tls.reloadInterval: " + reloadInterval + " (expected: > 0)");
            }
            requireNonNull(hstsMaxAge, "hstsMaxAge");
            if (hstsMaxAge.isNegative()) {
                throw new IllegalArgumentException("tls.hstsMaxAge: " + hstsMaxAge + " (expected: >= 0, 0 for no header)");
            }
        }

        /** With the default {@code hstsMaxAge}. */
        public TlsSettings(List<TlsFiles> certificates, TlsProvider provider, Duration reloadInterval) {
            this(certificates, provider, reloadInterval, DEFAULT_HSTS_MAX_AGE);
        }

        public static TlsSettings of(TlsFiles... certificates) {
            return new TlsSettings(List.of(certificates), TlsProvider.AUTO, DEFAULT_RELOAD_INTERVAL);
        }

        public TlsSettings withHstsMaxAge(Duration hstsMaxAge) {
            return new TlsSettings(certificates, provider, reloadInterval, hstsMaxAge);
        }
    }

    /** The TLS implementation: OpenSSL (BoringSSL through netty-tcnative) when it loads, else the JDK's. */
    public enum TlsProvider { AUTO, OPENSSL, JDK }

    /** Mutable while a config is put together in code; {@link #build()} validates and freezes it. */
    public static final class Builder {
        private final List<InetSocketAddress> listeners = new ArrayList<>();
        private final List<InetSocketAddress> redirectListeners = new ArrayList<>();
        private InetSocketAddress adminListener = DEFAULT_ADMIN_LISTENER;
        private Transport transport;
        private final List<String> baseDomains = new ArrayList<>();
        private TlsSettings tls;
        private Timeouts timeouts = Timeouts.DEFAULTS;
        private Path adminReadTokenFile;
        private Limits limits = Limits.DEFAULTS;
        private int eventLoopThreads;
        private RouteTable routes = RouteTable.empty();
        private final List<Path> routeFiles = new ArrayList<>();
        private IdentityVerifierConfig identity;
        private AccessSettings access = AccessSettings.DEFAULTS;
        private FairnessSettings fairness;
        private StoreSettings store;
        private List<AddressRange> hostRouteRanges = List.of();
        private Forwarding forwarding = Forwarding.DEFAULTS;
        private List<AddressRange> workspaceRanges = List.of();
        private SignInSettings signIn;

        private Builder() {}

        public Builder listen(InetSocketAddress address) {
            listeners.add(requireNonNull(address, "address"));
            return this;
        }

        public Builder redirectListen(InetSocketAddress address) {
            redirectListeners.add(requireNonNull(address, "address"));
            return this;
        }

        public Builder adminListen(InetSocketAddress address) {
            this.adminListener = requireNonNull(address, "address");
            return this;
        }

        /** Forces a transport; without this the best one available is taken. */
        public Builder transport(Transport transport) {
            this.transport = requireNonNull(transport, "transport");
            return this;
        }

        public Builder baseDomain(String domain) {
            baseDomains.add(requireNonNull(domain, "domain"));
            return this;
        }

        public Builder tls(TlsSettings tls) {
            this.tls = requireNonNull(tls, "tls");
            return this;
        }

        public Builder timeouts(Timeouts timeouts) {
            this.timeouts = requireNonNull(timeouts, "timeouts");
            return this;
        }

        public Builder limits(Limits limits) {
            this.limits = requireNonNull(limits, "limits");
            return this;
        }

        public Builder eventLoopThreads(int threads) {
            this.eventLoopThreads = threads;
            return this;
        }

        public Builder routes(RouteTable routes) {
            this.routes = requireNonNull(routes, "routes");
            return this;
        }

        public Builder routeFile(Path file) {
            routeFiles.add(requireNonNull(file, "file"));
            return this;
        }

        /** Enforces access: every request is authenticated with these issuers and decided by the policy. */
        public Builder identity(IdentityVerifierConfig identity) {
            this.identity = requireNonNull(identity, "identity");
            return this;
        }

        public Builder access(AccessSettings access) {
            this.access = requireNonNull(access, "access");
            return this;
        }

        /** Shares the node's bandwidth between workspaces. */
        public Builder fairness(FairnessSettings fairness) {
            this.fairness = requireNonNull(fairness, "fairness");
            return this;
        }

        /** Routes, shares and policies from this store instead of route files and a state folder. */
        public Builder store(StoreSettings store) {
            this.store = requireNonNull(store, "store");
            return this;
        }

        /** The networks host agents may publish workspace addresses in; without any, the host API is off. */
        /** Browsers without a session are sent through this provider's login. */
        public Builder signIn(SignInSettings signIn) {
            this.signIn = requireNonNull(signIn, "signIn");
            return this;
        }

        public Builder hostRouteRanges(List<AddressRange> ranges) {
            this.hostRouteRanges = List.copyOf(ranges);
            return this;
        }

        public Builder forwarding(Forwarding forwarding) {
            this.forwarding = requireNonNull(forwarding, "forwarding");
            return this;
        }

        /**
         * The networks workspace addresses are in; a route anywhere else is refused. Without any, every
         * route is refused. A loopback range (127.0.0.0/8) is for development and tests only.
         */
        public Builder workspaceAddressRanges(List<AddressRange> ranges) {
            this.workspaceRanges = List.copyOf(ranges);
            return this;
        }

        /** The file with the bearer token that reads the admin listener's full {@code /metrics}. */
        public Builder adminReadTokenFile(Path file) {
            this.adminReadTokenFile = requireNonNull(file, "file");
            return this;
        }

        public GatewayConfig build() {
            requireNonNull(tls, "tls");
            boolean forced = transport != null;
            return new GatewayConfig(listeners, redirectListeners, adminListener, forced ? transport : Transport.best(), forced,
                    baseDomains, tls, timeouts, limits, eventLoopThreads, routes, routeFiles,
                    Optional.ofNullable(identity), access, Optional.ofNullable(fairness), Optional.ofNullable(store),
                    hostRouteRanges, forwarding, workspaceRanges, Optional.ofNullable(adminReadTokenFile),
                    Optional.ofNullable(signIn));
        }
    }
}
