package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWKSet;
import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.admin.AdminServer;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.gateway.auth.IssuerKeys;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.fairness.FairShareScheduler;
import dev.portcullis.gateway.fairness.Fairness;
import dev.portcullis.gateway.limits.AcceptErrorBackoff;
import dev.portcullis.gateway.limits.WorkspaceConnections;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.proxy.Drain;
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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * The gateway process, its composition root: builds every service from the config (each a final
 * field, built before anything binds), then binds the admin, HTTPS and redirect listeners, whose
 * pipelines the {@link PipelineConfigurator} builds. {@link #start} returns once every listener is
 * bound; {@link #close} drains the clients, then closes what was built in reverse order.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private static final int MIN_READ_TOKEN_LENGTH = 16;
    /** How often agents' route files are checked; a new workspace is routable within this. */
    private static final Duration ROUTE_FILE_POLL = Duration.ofMillis(500);

    private final GatewayConfig config;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final ServerResources resources;
    private final ReloadingCertificates certificates;
    private final RouteFiles routeFiles; // null unless agents publish routes in files
    private final StoreConnection store; // null without a store
    private final AccessServices access; // null when access is open (development only)
    private final WorkspaceConnections workspaceConnections;
    private final PipelineConfigurator pipelines;
    private final AdminServer admin;
    private final List<Channel> listeners = new ArrayList<>();
    private final List<Channel> redirectListeners = new ArrayList<>();
    private volatile boolean serving;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger openConnections = new AtomicInteger();
    private final ConnectionsPerAddress perAddress;

    /** Builds every service, in dependency order, each registered in {@code resources} as it is built. */
    private GatewayServer(GatewayConfig config, EventLoopGroup bossGroup, EventLoopGroup workerGroup,
                          ServerResources resources) throws IOException, InterruptedException {
        this.config = config;
        this.bossGroup = bossGroup;
        this.workerGroup = workerGroup;
        this.resources = resources;
        this.perAddress = new ConnectionsPerAddress(config.limits().maxConnectionsPerAddress());
        certificates = resources.add("certificates", ReloadingCertificates.start(config.tls()));
        UpstreamPools pools = new UpstreamPools(config.transport().socketChannelClass(), config.timeouts().connect());
        RouteGuard guard = routeGuard();
        ServerResources.Signal accessMayNarrow = new ServerResources.Signal();
        Supplier<RouteTable> routes = config::routes;
        if (!config.routeFiles().isEmpty()) {
            // A workspace that went away leaves pooled connections to an address nobody answers on
            // (a deleted namespace sends no reset): they are closed, not reused into a hang.
            routeFiles = resources.add("route files", RouteFiles.watch(config.routes(), config.routeFiles(),
                    ROUTE_FILE_POLL, guard, (before, after) -> {
                        pools.closeIdleTo(before.addressesGoneIn(after));
                        accessMayNarrow.run(); // a deleted or stopped workspace loses its open tunnels
                    }));
            routes = routeFiles;
        } else {
            routeFiles = null;
        }
        if (config.store().isPresent()) {
            // A narrowing change on any gateway ends access on this one.
            store = resources.add("store", StoreConnection.open(config.store().get(), config.routes(),
                    config.access().fallbackPolicy(), config.store().get().timeout(), pools::closeIdleTo,
                    accessMayNarrow, guard, metrics.registry()));
            routes = store::routes;
        } else {
            store = null;
        }
        if (config.identity().isPresent()) {
            access = new AccessServices(config, routes, store, metrics, resources, accessMayNarrow);
        } else {
            access = null;
            log.warn("NO ACCESS CONTROL: no identity issuers are configured, so every workspace port is open to anyone"
                    + " who can reach this gateway. Development only.");
        }
        Fairness fairness = resources.add("fairness", config.fairness().isPresent()
                ? FairShareScheduler.start(config.fairness().get(), metrics) : Fairness.OFF);
        workspaceConnections = resources.add("workspace connections",
                WorkspaceConnections.start(config.limits().workspaceConnections(), metrics));
        ProxySettings proxy = new ProxySettings(config.baseDomains(), routes, pools, config.timeouts(), config.limits(),
                metrics, Optional.ofNullable(access).map(services -> services.control), fairness, config.forwarding(),
                workspaceConnections);
        Duration hstsMaxAge = config.tls().hstsMaxAge();
        pipelines = new PipelineConfigurator(proxy, certificates, metrics,
                hstsMaxAge.isZero() ? null : new StrictTransportSecurity(hstsMaxAge));
        // Last: everything the admin listener serves exists before its first request can arrive.
        admin = resources.add("admin listener", AdminServer.start(config.adminListener(), bossGroup,
                config.transport().serverChannelClass(), metrics, this::notReadyBecause,
                () -> Optional.ofNullable(access).map(services -> services.accessApi),
                () -> Optional.ofNullable(access).map(services -> services.hostRoutesApi), this::publicKeySets,
                readToken(config.adminReadTokenFile())));
        log.info("Admin listener on http://{} (/healthz, /readyz, /metrics)", format(admin.address()));
    }

    public static GatewayServer start(GatewayConfig config) throws IOException, InterruptedException {
        requireNonNull(config, "config");
        log.info("Transport: {} ({})", config.transport().configName(),
                config.transportForced() ? "forced by config" : "best available");
        EventLoopGroup boss = config.transport().newEventLoopGroup(1, new DefaultThreadFactory("gateway-accept"));
        EventLoopGroup workers = config.transport().newEventLoopGroup(config.eventLoopThreads(),
                new DefaultThreadFactory("gateway-io"));
        ServerResources resources = new ServerResources();
        GatewayServer server;
        try {
            server = new GatewayServer(config, boss, workers, resources);
        } catch (IOException | InterruptedException | RuntimeException e) {
            resources.closeAll();
            shutDown(boss, workers);
            throw e;
        }
        try {
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
                            pipelines.clientConnection(channel, listenerPort);
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
                            pipelines.redirectConnection(channel, httpsPort);
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
        resources.closeAll();
        shutDown(bossGroup, workerGroup);
    }

    private static void shutDown(EventLoopGroup boss, EventLoopGroup workers) {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** The public keys the admin listener serves, by path. */
    private Map<String, JWKSet> publicKeySets() {
        Map<String, JWKSet> sets = new HashMap<>();
        developmentIssuerKeys(config).ifPresent(keys -> sets.put(AdminServer.DEV_ISSUER_JWKS, keys));
        if (access != null) {
            sets.put(AdminServer.IDENTITY_ASSERTION_JWKS, access.assertions.publicKeys());
        }
        return sets;
    }

    /** The development issuer's public keys, when the config trusts it. */
    static Optional<JWKSet> developmentIssuerKeys(GatewayConfig config) {
        return config.identity().stream().flatMap(identity -> identity.issuers().stream())
                .filter(issuer -> issuer.issuer().equals(DevelopmentIssuer.ISSUER))
                .map(IssuerConfig::keys)
                .flatMap(keys -> keys instanceof IssuerKeys.Static(JWKSet set) ? Stream.of(set)
                                                                                : Stream.empty())
                .findFirst();
    }

    /** Browser sessions and one-time links, when access is enforced. */
    public Optional<Sessions> sessions() {
        return Optional.ofNullable(access).map(services -> services.sessions);
    }

    /** The policies and shares this gateway enforces, when access is enforced without a store. */
    public Optional<AccessState> accessState() {
        return Optional.ofNullable(access).map(services -> services.accessState);
    }

    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
