package dev.portcullis.agent.daemon;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.api.AgentApiServer;
import dev.portcullis.agent.api.ApiHandler;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.KernelNames;
import dev.portcullis.agent.lifecycle.Reconciler;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.ports.ListeningPortWatcher;
import dev.portcullis.agent.route.FileRouteSink;
import dev.portcullis.agent.route.GatewayRouteSink;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.agent.route.StoreRouteSink;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.StoreSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: one per host (a lock on the state directory says so), reconcile at start and
 * every interval, the local API. Stopping the agent leaves every workspace network in place.
 */
public final class AgentDaemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);
    /** How often the listening ports of every workspace are read: a change reaches the store within about this. */
    static final Duration PORT_SCAN_INTERVAL = Duration.ofMillis(500);

    private final FileChannel lockFile;
    private final WorkspaceNetworks agent;
    private final ProcessCommandRunner commands;
    private final AgentApiServer server;
    private final ScheduledExecutorService reconciler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-reconcile");
        t.setDaemon(true);
        return t;
    });

    private final RouteSink routes;
    private final ListeningPortWatcher ports;

    private AgentDaemon(FileChannel lockFile, WorkspaceNetworks agent, ProcessCommandRunner commands, AgentApiServer server,
                        RouteSink routes, ListeningPortWatcher ports) {
        this.commands = commands;
        this.routes = routes;
        this.ports = ports;
        this.lockFile = lockFile;
        this.agent = agent;
        this.server = server;
    }

    public static AgentDaemon start(AgentConfig config) throws InterruptedException {
        requireNonNull(config, "config");
        FileChannel lock = lock(config);
        RouteSink routes;
        WorkspaceNetworks agent;
        Reconciler.Report report;
        ProcessCommandRunner commands = new ProcessCommandRunner();
        try {
            routes = routeSink(config);
            agent = new WorkspaceNetworks(config, commands, routes, StepListener.NONE, Clock.systemUTC());
        } catch (RuntimeException refused) {
            commands.close();
            closeQuietly(lock);
            throw refused;
        }
        try {
            report = agent.start();
        } catch (RuntimeException failed) {
            agent.close();
            commands.close();
            closeQuietly(lock);
            throw failed;
        }
        log.info("started: table inet {}, range {}, egress shaping {}, {} workspaces, start-up reconcile: {}",
                config.tableName(), config.addressPlan().range(), agent.shapingMode(), agent.list().size(),
                report.actions().isEmpty() ? "in sync" : report.actions());
        AgentApiServer server = AgentApiServer.start(config.socketPath(), new ApiHandler(agent));
        ListeningPortWatcher ports = new ListeningPortWatcher(routes, new KernelNames(config)::namespace,
                Path.of("/run/netns")).start(PORT_SCAN_INTERVAL);
        AgentDaemon daemon = new AgentDaemon(lock, agent, commands, server, routes, ports);
        long every = config.reconcileInterval().toMillis();
        daemon.reconciler.scheduleWithFixedDelay(daemon::reconcileQuietly, every, every, TimeUnit.MILLISECONDS);
        return daemon;
    }

    /**
     * Where routes go: the shared store under this host's lease, a gateway's host API into the store
     * it holds (under a lease too), a file for a local gateway without a store, or memory.
     */
    static RouteSink routeSink(AgentConfig config) {
        if (config.gatewayRoutes().isPresent()) {
            log.info("publishing routes through the {} as host {} under a lease of {}", config.gatewayRoutes().get(),
                    config.hostName(), config.gatewayRoutes().get().leaseTtl());
            return new GatewayRouteSink(config.gatewayRoutes().get(), config.hostName());
        }
        if (config.store().isPresent()) {
            StoreSettings settings = config.store().get();
            log.info("publishing routes to the {} under a lease of {}", settings, settings.leaseTtl());
            return new StoreRouteSink(new ControlPlaneStore(settings.open()), settings.leaseTtl());
        }
        return config.routeFile().<RouteSink>map(FileRouteSink::new).orElseGet(InMemoryRouteSink::new);
    }

    private void reconcileQuietly() {
        try {
            agent.reconcile();
        } catch (RuntimeException e) {
            log.error("periodic reconcile failed; retrying next interval", e);
        }
    }

    private static FileChannel lock(AgentConfig config) {
        try {
            Files.createDirectories(config.stateDir());
            FileChannel channel = FileChannel.open(config.stateDir().resolve("agent.lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException(config.stateDir() + " is used by another running agent"
                        + " (expected: one agent per state directory)");
            }
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + config.stateDir() + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel lock) {
        try {
            lock.close();
        } catch (IOException e) {
            log.warn("cannot release the state lock: {}", e.getMessage());
        }
    }

    public WorkspaceNetworks agent() {
        return agent;
    }

    /** The listening ports of each workspace, as the last scan saw them. */
    public ListeningPortWatcher ports() {
        return ports;
    }

    @Override
    public void close() {
        reconciler.shutdownNow();
        ports.close();
        server.close();
        agent.close();
        commands.close(); // the long-lived nft -i goes with the agent
        if (routes instanceof AutoCloseable closeable) {
            // A clean stop revokes the host's lease: its routes leave the store now, not after the TTL.
            try {
                closeable.close();
            } catch (Exception e) {
                log.warn("cannot withdraw this host's routes from the store: {}", e.getMessage());
            }
        }
        try {
            lockFile.close();
        } catch (IOException e) {
            log.warn("cannot release the state lock: {}", e.getMessage());
        }
    }
}
