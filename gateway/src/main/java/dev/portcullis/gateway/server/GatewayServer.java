package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWKSet;
import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.AccessRecords;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.access.LocalAccessRecords;
import dev.portcullis.gateway.access.IdentityAssertions;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.admin.AccessApi;
import dev.portcullis.gateway.console.Console;
import dev.portcullis.gateway.console.KnownPorts;
import dev.portcullis.gateway.admin.AdminServer;
import dev.portcullis.gateway.admin.HostRoutesApi;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.signin.SignInSecrets;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.gateway.auth.IssuerKeys;
import dev.portcullis.gateway.auth.LocalKeys;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.fairness.FairShareScheduler;
import dev.portcullis.gateway.fairness.Fairness;
import dev.portcullis.gateway.limits.AcceptErrorBackoff;
import dev.portcullis.gateway.limits.WorkspaceConnections;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.proxy.Drain;
import dev.portcullis.gateway.proxy.HttpsRedirectHandler;
import dev.portcullis.gateway.proxy.PipelineNames;
import dev.portcullis.gateway.proxy.ProxySettings;
import dev.portcullis.gateway.proxy.UpstreamPools;
import dev.portcullis.gateway.route.RouteFiles;
import dev.portcullis.gateway.route.RouteGuard;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.store.StoreConnection;
import dev.portcullis.gateway.tls.ReloadingCertificates;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway process: binds the HTTPS listeners and builds each client pipeline — idle timer,
 * TLS (the certificate chosen by SNI), strict HTTP/1.1 with size limits, then the proxy — plus the
 * plain-HTTP listeners that only redirect. {@link #start} returns once every listener is bound.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    /** RFC 9112 leaves limits to the server; these match common practice and issue 3's contract. */
    static final int MAX_REQUEST_LINE = 8 * 1024;
    static final int MAX_HEADER_BLOCK = 16 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;
    /** Streams one HTTP/2 connection may have open at once; each holds a workspace connection. */
    static final int MAX_CONCURRENT_STREAMS = 128;
    private static final int MIN_READ_TOKEN_LENGTH = 16;
    /** How often agents' route files are checked; a new workspace is routable within this. */
    private static final Duration ROUTE_FILE_POLL = Duration.ofMillis(500);

    private final GatewayConfig config;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final List<Channel> listeners = new ArrayList<>();
    private final List<Channel> redirectListeners = new ArrayList<>();
    private ReloadingCertificates certificates;
    private RouteFiles routeFiles;
    private StoreConnection store;
    private IdentityVerifier identity;
    private AccessState accessState;
    private volatile OpenGrants grants;
    private volatile AccessApi accessApi;
    private volatile HostRoutesApi hostRoutesApi;
    private volatile IdentityAssertions assertions;
    private Sessions sessions;
    private SignIn signIn;
    private Fairness fairness = Fairness.OFF;
    private WorkspaceConnections workspaceConnections;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private AdminServer admin;
    private volatile boolean serving;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger openConnections = new AtomicInteger();
    private final ConnectionsPerAddress perAddress;

    private GatewayServer(GatewayConfig config, EventLoopGroup bossGroup, EventLoopGroup workerGroup) {
        this.config = config;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.perAddress = new ConnectionsPerAddress(config.limits().maxConnectionsPerAddress());
    }

    public static GatewayServer start(GatewayConfig config) throws IOException, InterruptedException {
        requireNonNull(config, "config");
        log.info("Transport: {} ({})", config.transport().configName(),
                config.transportForced() ? "forced by config" : "best available");
        EventLoopGroup boss = config.transport().newEventLoopGroup(1, new DefaultThreadFactory("gateway-accept"));
        EventLoopGroup workers = config.transport().newEventLoopGroup(config.eventLoopThreads(),
                new DefaultThreadFactory("gateway-io"));
        GatewayServer server = new GatewayServer(config, boss, workers);
        try {
            server.certificates = ReloadingCertificates.start(config.tls());
            server.admin = AdminServer.start(config.adminListener(), boss, config.transport().serverChannelClass(),
                    server.metrics, server::notReadyBecause, () -> Optional.ofNullable(server.accessApi),
                    () -> Optional.ofNullable(server.hostRoutesApi), server::publicKeySets,
                    readToken(config.adminReadTokenFile()));
            log.info("Admin listener on http://{} (/healthz, /readyz, /metrics)", format(server.admin.address()));
            server.bind();
            server.bindRedirects();
            server.serving = true;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The admin read token from its file; a short one is refused (it guards which workspaces exist). */
    private static Optional<String> readToken(Optional<Path> file) throws IOException {
        if (file.isEmpty()) {
            return Optional.empty();
        }
        String token = Files.readString(file.get()).trim();
        if (token.length() < MIN_READ_TOKEN_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
            throw new IOException("adminReadTokenFile " + file.get() + ": a token of " + token.length()
                    + " characters (expected: at least " + MIN_READ_TOKEN_LENGTH + " visible ASCII characters, no spaces)");
        }
        return Optional.of(token);
    }

    private void bind() throws IOException, InterruptedException {
        UpstreamPools pools = new UpstreamPools(config.transport().socketChannelClass(), config.timeouts().connect());
        Supplier<RouteTable> routes = config::routes;
        RouteGuard guard = routeGuard();
        if (!config.routeFiles().isEmpty()) {
            // A workspace that went away leaves pooled connections to an address nobody answers on
            // (a deleted namespace sends no reset): they are closed, not reused into a hang.
            routeFiles = RouteFiles.watch(config.routes(), config.routeFiles(), ROUTE_FILE_POLL, guard,
                    (before, after) -> {
                        pools.closeIdleTo(before.addressesGoneIn(after));
                        if (grants != null) {
                            grants.revalidate(); // a deleted or stopped workspace loses its open tunnels
                        }
                    });
            routes = routeFiles;
        }
        if (config.store().isPresent()) {
            store = StoreConnection.open(config.store().get(), config.routes(), config.access().fallbackPolicy(),
                    config.store().get().timeout(), pools::closeIdleTo, () -> {
                        if (grants != null) {
                            grants.revalidate(); // a narrowing change on any gateway ends access on this one
                        }
                    }, guard, metrics.registry());
            routes = store::routes;
        }
        AccessControl access = null;
        if (config.identity().isPresent()) {
            access = startAccessControl(routes);
        } else {
            log.warn("NO ACCESS CONTROL: no identity issuers are configured, so every workspace port is open to anyone"
                    + " who can reach this gateway. Development only.");
        }
        if (config.fairness().isPresent()) {
            fairness = FairShareScheduler.start(config.fairness().get(), metrics);
        }
        workspaceConnections = WorkspaceConnections.start(config.limits().workspaceConnections(), metrics);
        ProxySettings proxy = new ProxySettings(config.baseDomains(), routes, pools,
                config.timeouts(), config.limits(), metrics, Optional.ofNullable(access), fairness, config.forwarding(),
                workspaceConnections);
        Duration hstsMaxAge = config.tls().hstsMaxAge();
        StrictTransportSecurity hsts = hstsMaxAge.isZero() ? null : new StrictTransportSecurity(hstsMaxAge);
        for (InetSocketAddress address : config.listeners()) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(config.transport().serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .handler(new AcceptErrorBackoff(metrics))
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            int listenerPort = channel.localAddress().getPort();
                            if (openConnections.incrementAndGet() > config.limits().maxConnections()) {
                                openConnections.decrementAndGet();
                                metrics.connectionRejected(false);
                                channel.close(); // over the limit: closed at accept, before any TLS work
                                return;
                            }
                            InetAddress client = channel.remoteAddress().getAddress();
                            if (!perAddress.tryOpen(client)) {
                                openConnections.decrementAndGet();
                                metrics.connectionRejected(true);
                                channel.close();
                                return;
                            }
                            if (!workspaceConnections.descriptors().tryOpenClientConnection()) {
                                openConnections.decrementAndGet();
                                perAddress.closed(client);
                                metrics.connectionRejectedForDescriptors();
                                channel.close(); // the last few descriptors are the process's, not a client's
                                return;
                            }
                            metrics.connectionOpened();
                            clients.add(channel);
                            channel.closeFuture().addListener(closed -> {
                                workspaceConnections.descriptors().closed();
                                openConnections.decrementAndGet();
                                perAddress.closed(client);
                                metrics.connectionClosed();
                            });
                            channel.pipeline()
                                    .addLast(PipelineNames.IDLE, new IdleStateHandler(0, 0,
                                            config.timeouts().idle().toNanos(), TimeUnit.NANOSECONDS))
                                    // The TLS handshake, ClientHello included, shares the request-head deadline.
                                    .addLast(PipelineNames.TLS, new SniHandler(certificates,
                                            config.timeouts().requestHead().toMillis()))
                                    .addLast(PipelineNames.PROTOCOLS, new ClientProtocols(proxy, listenerPort,
                                            new HttpDecoderConfig()
                                                    .setMaxInitialLineLength(MAX_REQUEST_LINE)
                                                    .setMaxHeaderSize(MAX_HEADER_BLOCK)
                                                    .setMaxChunkSize(MAX_CHUNK),
                                            MAX_CONCURRENT_STREAMS, metrics, hsts));
                        }
                    });
            listeners.add(bindListener(bootstrap, address, "https"));
        }
    }

    /** Plain-HTTP listeners that answer every request with a redirect to the first HTTPS listener. */
    private void bindRedirects() throws IOException, InterruptedException {
        int httpsPort = boundAddresses().get(0).getPort();
        for (InetSocketAddress address : config.redirectListeners()) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(config.transport().serverChannelClass())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            channel.pipeline()
                                    .addLast(PipelineNames.IDLE, new IdleStateHandler(0, 0,
                                            config.timeouts().requestHead().toNanos(), TimeUnit.NANOSECONDS))
                                    .addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEADER_BLOCK, MAX_CHUNK))
                                    .addLast(PipelineNames.PROXY, new HttpsRedirectHandler(config.baseDomains(), httpsPort));
                        }
                    });
            redirectListeners.add(bindListener(bootstrap, address, "http"));
        }
    }

    private static Channel bindListener(ServerBootstrap bootstrap, InetSocketAddress address, String scheme)
            throws IOException, InterruptedException {
        try {
            Channel listener = bootstrap.bind(address).sync().channel();
            log.info("Listening on {}://{}", scheme, format((InetSocketAddress) listener.localAddress()));
            return listener;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot listen on " + format(address) + ": " + e.getMessage(), e);
        }
    }

    /**
     * The check every route source's routes pass: inside the workspace ranges, never this host. The
     * static routes were checked against the listeners when the config was built; here they are
     * checked again against every address of the host's interfaces, which only a running gateway knows.
     */
    private RouteGuard routeGuard() {
        Set<InetAddress> listenerAddresses = new HashSet<>();
        Stream.concat(Stream.concat(config.listeners().stream(), config.redirectListeners().stream()),
                        Stream.of(config.adminListener()))
                .map(InetSocketAddress::getAddress).filter(address -> !address.isAnyLocalAddress())
                .forEach(listenerAddresses::add);
        RouteGuard guard = RouteGuard.forHost(config.workspaceRanges(), listenerAddresses, metrics::routeRefused);
        if (config.workspaceRanges().isEmpty()) {
            log.warn("No workspace address ranges are configured: every route is refused (workspaceAddressRanges)");
        }
        for (WorkspaceRoute route : config.routes().routes()) {
            RouteGuard.Refusal refusal = guard.refusal(route.address());
            if (refusal != null) {
                throw new IllegalArgumentException("routes: workspace '" + route.workspaceId() + "' refused: "
                        + refusal.message());
            }
        }
        return guard;
    }

    /** The bound plain-HTTP redirect addresses, in config order. */
    public List<InetSocketAddress> boundRedirectAddresses() {
        return redirectListeners.stream().map(channel -> (InetSocketAddress) channel.localAddress()).toList();
    }

    /** The bound addresses, in config order; a port 0 in the config shows here as the port the OS chose. */
    public List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(channel -> (InetSocketAddress) channel.localAddress()).toList();
    }

    /** The route table requests are routed by right now. */
    public RouteTable currentRoutes() {
        if (store != null) {
            return store.routes();
        }
        return routeFiles != null ? routeFiles.get() : config.routes();
    }

    /** Why {@code /readyz} should say no, or {@code null}: starting or stopping, or the store is out of reach. */
    private String notReadyBecause() {
        if (!serving) {
            return "not serving (starting or shutting down)";
        }
        return store == null ? null : store.notReadyBecause();
    }

    /** The admin listener's address (health, readiness, metrics). */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /**
     * Stops gracefully: no new connections; idle ones close now; requests in flight may finish
     * within {@code limits.drainTimeout}, their connections closing after the response; then
     * whatever is left (tunnels, slow responses) is closed.
     */
    @Override
    public void close() {
        serving = false;
        for (Channel listener : listeners) {
            listener.close().awaitUninterruptibly();
        }
        for (Channel listener : redirectListeners) {
            listener.close().awaitUninterruptibly();
        }
        clients.forEach(channel -> channel.pipeline().fireUserEventTriggered(Drain.EVENT));
        long deadline = System.nanoTime() + config.limits().drainTimeout().toNanos();
        while (!clients.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!clients.isEmpty()) {
            log.info("Closing {} connection(s) still open after the drain timeout", clients.size());
        }
        clients.close().awaitUninterruptibly();
        if (admin != null) {
            admin.close();
        }
        if (certificates != null) {
            certificates.close();
        }
        if (routeFiles != null) {
            routeFiles.close();
        }
        if (identity != null) {
            identity.close();
        }
        if (grants != null) {
            grants.close();
        }
        if (signIn != null) {
            signIn.close(); // and its sessions
        } else if (sessions != null) {
            sessions.close();
        }
        if (accessApi != null) {
            accessApi.close();
        }
        if (hostRoutesApi != null) {
            hostRoutesApi.close();
        }
        fairness.close();
        if (workspaceConnections != null) {
            workspaceConnections.close();
        }
        if (store != null) {
            store.close();
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /**
     * Identity, the policy state and the grants registry: every change of shares or policies
     * re-decides the open connections at once.
     */
    private AccessControl startAccessControl(Supplier<RouteTable> routes) throws IOException {
        AccessSettings settings = config.access();
        Supplier<AccessSnapshot> access;
        AccessRecords records;
        if (store != null) {
            access = store::access;
            records = store.accessRecords();
            log.info("Access control: enforced; policies and shares in {}", config.store().get());
        } else {
            accessState = settings.stateDirectory().isPresent()
                    ? AccessState.open(settings.stateDirectory().get(), settings.fallbackPolicy())
                    : AccessState.inMemory(settings.fallbackPolicy());
            access = accessState::current;
            records = new LocalAccessRecords(accessState);
            log.info("Access control: enforced; policies and shares {}", settings.stateDirectory()
                    .map(dir -> "in " + dir).orElse("in memory only (lost at restart)"));
        }
        if (developmentIssuerKeys().isPresent()) {
            log.warn("DEVELOPMENT ISSUER ON: tokens minted with './portcullis token' from a key on this machine are"
                    + " trusted. Anyone who can read that key can be anyone. Never in production.");
        }
        identity = IdentityVerifier.create(config.identity().get());
        AuditLog audit = new AuditLog(metrics);
        grants = new OpenGrants(routes, access, audit, Clock.systemUTC());
        if (accessState != null) {
            accessState.addListener(changed -> grants.revalidate());
        }
        accessApi = new AccessApi(identity, records, routes, config.baseDomains(), settings.adminClaim(), Clock.systemUTC(),
                audit);
        if (store != null && !config.hostRouteRanges().isEmpty()) {
            // Agents on machines without a store of their own (the embedded store is this process's file) publish here.
            hostRoutesApi = new HostRoutesApi(identity, store.controlPlane(), config.hostRouteRanges());
        }
        assertions = new IdentityAssertions(settings.assertionKeyFile().isPresent()
                ? LocalKeys.loadOrCreateEc(settings.assertionKeyFile().get(), "gateway")
                : LocalKeys.newEcKey("gateway"), settings.assertionLifetime(), Clock.systemUTC());
        sessions = openSessions();
        sessions.onSessionEnded(grants::endSession); // a session ended on any gateway: its tunnels here close
        sessions.keepAliveWhileInUse(grants::sessionsInUse); // an open tunnel is use: no idle end under it
        Sessions open = sessions;
        accessApi.endSessionsWith((org, user) -> open.endAllOf(org, user).join()); // a person removed from an org
        if (config.signIn().isPresent()) {
            SignInSettings signInSettings = config.signIn().get();
            SignInSecrets secrets = signInSettings.keyFile().isPresent()
                    ? SignInSecrets.loadOrCreate(signInSettings.keyFile().get()) : SignInSecrets.random();
            signIn = new SignIn(signInSettings, config.baseDomains(), secrets, sessions, identity);
            log.info("Browser sign-in: {} as client '{}' ({}); login host {}", signInSettings.issuer(),
                    signInSettings.clientId(), signInSettings.clientAuth(),
                    config.baseDomains().stream().map(signInSettings::loginHost).toList());
        }
        // The console lives on the login host and signs in through it: only with a sign-in.
        Optional<Console> console = Optional.ofNullable(signIn).map(in -> new Console(in, accessApi, records, routes,
                grants, new KnownPorts(access), audit.recent(), Clock.systemUTC()));
        return new AccessControl(identity, access, audit, grants, sessions, assertions, Optional.ofNullable(signIn), console);
    }

    /**
     * Sessions and one-time records live in the gateway's store when it has one (shared by every
     * gateway); otherwise in the sign-in's state file, or in memory.
     */
    private Sessions openSessions() {
        Clock clock = config.signIn().map(SignInSettings::clock).orElse(Clock.systemUTC());
        if (store != null) {
            return new Sessions(store.controlPlane().keyValues(), false, clock, identity);
        }
        Optional<java.nio.file.Path> file = config.signIn().flatMap(SignInSettings::stateFile)
                .or(() -> config.access().stateDirectory().map(dir -> dir.resolve("signin-store.json")));
        if (file.isPresent()) {
            log.info("Sessions and one-time links in {}", file.get());
            return new Sessions(EmbeddedStore.open(file.get()), true, clock, identity);
        }
        log.info("Sessions and one-time links in memory only (lost at restart; configure a store or signin.stateFile)");
        return new Sessions(EmbeddedStore.inMemory(), true, clock, identity);
    }

    /** The public keys the admin listener serves, by path. */
    private Map<String, JWKSet> publicKeySets() {
        Map<String, JWKSet> sets = new HashMap<>();
        developmentIssuerKeys().ifPresent(keys -> sets.put(AdminServer.DEV_ISSUER_JWKS, keys));
        if (assertions != null) {
            sets.put(AdminServer.IDENTITY_ASSERTION_JWKS, assertions.publicKeys());
        }
        return sets;
    }

    /** The development issuer's public keys, when the config trusts it. */
    private Optional<JWKSet> developmentIssuerKeys() {
        return config.identity().stream().flatMap(identity -> identity.issuers().stream())
                .filter(issuer -> issuer.issuer().equals(DevelopmentIssuer.ISSUER))
                .map(IssuerConfig::keys)
                .flatMap(keys -> keys instanceof IssuerKeys.Static(JWKSet set) ? Stream.of(set)
                                                                                : Stream.empty())
                .findFirst();
    }

    /** Browser sessions and one-time links, when access is enforced. */
    public Optional<Sessions> sessions() {
        return Optional.ofNullable(sessions);
    }

    /** The policies and shares this gateway enforces, when access is enforced without a store. */
    public Optional<AccessState> accessState() {
        return Optional.ofNullable(accessState);
    }

    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
