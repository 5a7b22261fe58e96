package dev.portcullis.demo.workspace;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.HostSupport;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.Reconciler;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.route.FileRouteSink;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The demo workspace in a network namespace of its own, built by the host agent's library exactly as
 * for a real workspace: namespace, veth with its peer made inside, the agent's nftables table, tc on
 * its egress, and its route in a route file that the gateway watches. The names and the range are
 * the demo's own, so it never touches a real agent's or a test's objects. The app runs inside as its
 * own JVM; the gateway on the host reaches it through the veth (the table admits connections the host
 * opens: here the host is the gateway).
 */
public final class NamespaceWorkspace implements DemoWorkspace {
    /** Egress cap of the demo workspace, so its tc class is there to see. */
    public static final int EGRESS_MBIT = 100;

    private final DemoNetworkNames names;
    private final FileChannel lockFile;
    private final WorkspaceNetworks agent;
    private final ProcessCommandRunner commands;
    private final WorkspaceStatus status;
    private final Path routeFile;
    private final WorkspaceProcess app;

    private NamespaceWorkspace(DemoNetworkNames names, FileChannel lockFile, WorkspaceNetworks agent,
                               ProcessCommandRunner commands, WorkspaceStatus status, Path routeFile, WorkspaceProcess app) {
        this.names = names;
        this.lockFile = lockFile;
        this.agent = agent;
        this.commands = commands;
        this.status = status;
        this.routeFile = routeFile;
        this.app = app;
    }

    /**
     * Builds the workspace network and starts the app in it. What a previous demo left behind (one
     * killed with SIGKILL) is reconciled away first and reported to {@code notes}.
     *
     * @param stateDir the agent's desired state and the route file go here
     * @param names    the kernel names and range to use; one process per machine may own them (a lock),
     *                 a second one gets the exception
     * @throws NamespaceUnavailableException why not, after removing whatever it built
     */
    public static NamespaceWorkspace start(Path stateDir, DemoNetworkNames names, DemoWorkspaceSpec spec,
                                           Consumer<String> notes) throws NamespaceUnavailableException {
        ProcessCommandRunner commands = new ProcessCommandRunner();
        HostNetworking host = new HostNetworking(commands);
        Optional<String> missing = HostSupport.whatIsMissing(commands,
                names.namespacePrefix() + "_check_" + ProcessHandle.current().pid()); // "_": no workspace id has it
        if (missing.isPresent()) {
            commands.close();
            throw new NamespaceUnavailableException(missing.get());
        }
        FileChannel lockFile;
        try {
            lockFile = lock(names.machineLock());
        } catch (NamespaceUnavailableException e) {
            commands.close();
            throw e;
        }
        WorkspaceNetworks agent = null;
        WorkspaceProcess app = null;
        try {
            Path routeFile = stateDir.resolve("routes.json");
            agent = new WorkspaceNetworks(config(stateDir, routeFile, names), commands, new FileRouteSink(routeFile),
                    StepListener.NONE, Clock.systemUTC());
            removeLeftovers(agent, notes);
            Optional<String> taken = host.rangeTakenBy(names.range(), names.interfacePrefix());
            if (taken.isPresent()) {
                throw new NamespaceUnavailableException(taken.get());
            }
            WorkspaceStatus status = agent.create(new WorkspaceSpec(spec.id(), spec.owner(), spec.org(), Optional.empty(),
                    EGRESS_MBIT));
            app = WorkspaceProcess.start(status.namespace(), spec.port(), "inside network namespace " + status.namespace());
            return new NamespaceWorkspace(names, lockFile, agent, commands, status, routeFile, app);
        } catch (NamespaceUnavailableException | IOException | RuntimeException e) {
            NamespaceUnavailableException reason = e instanceof NamespaceUnavailableException unavailable ? unavailable
                    : new NamespaceUnavailableException("building the workspace network failed: " + e.getMessage(), e);
            try {
                if (app != null) {
                    app.close();
                }
                release(agent, commands, lockFile);
            } catch (RuntimeException undo) {
                reason.addSuppressed(undo); // what is left, the next start reconciles
            }
            throw reason;
        }
    }

    private static AgentConfig config(Path stateDir, Path routeFile, DemoNetworkNames names) {
        return AgentConfig.builder()
                .stateDir(stateDir)
                .socketPath(stateDir.resolve("agent.sock")) // required by the config; the demo serves no local API
                .namespacePrefix(names.namespacePrefix())
                .interfacePrefix(names.interfacePrefix())
                .tableName(names.table())
                .addressRange(names.range())
                .allowHostToWorkspaces(true) // the gateway runs on this host
                .globalForwarding(false) // the demo does not switch on forwarding for the whole machine
                .reconcileInterval(Duration.ofHours(1)) // the demo reconciles at start only
                .hostName("demo")
                .routeFile(routeFile)
                // The demo owns its prefixes alone (the machine-wide demo lock), and its networks are disposable.
                .acceptMissingState(true)
                .spareNamespaces(0) // one workspace, made at start: nothing to make ahead of demand
                .build();
    }

    /**
     * A demo killed with SIGKILL leaves its workspace network, and its desired state says so; one
     * killed half-way leaves orphans that reconcile finds by their prefix. Either way: gone, and said.
     */
    private static void removeLeftovers(WorkspaceNetworks agent, Consumer<String> notes) {
        List<String> removed = new ArrayList<>();
        List<WorkspaceStatus> leftovers = agent.list();
        Reconciler.Report report = agent.start();
        removed.addAll(report.actions());
        for (WorkspaceStatus leftover : leftovers) {
            agent.delete(leftover.desired().id());
            removed.add("deleted workspace network " + leftover.namespace() + " at " + leftover.address());
        }
        if (!removed.isEmpty()) {
            notes.accept("a previous demo did not clean up (was it killed?); reconciled what it left: "
                    + String.join("; ", removed));
        }
    }

    private static FileChannel lock(Path machineLock) throws NamespaceUnavailableException {
        try {
            FileChannel channel = FileChannel.open(machineLock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new NamespaceUnavailableException("another demo on this machine owns the demo's workspace network ("
                        + machineLock + " is locked)");
            }
            return channel; // closing the channel (or the process ending, however) releases the lock
        } catch (IOException e) {
            throw new NamespaceUnavailableException("cannot lock " + machineLock + ": " + e.getMessage(), e);
        }
    }

    private static void release(WorkspaceNetworks agent, ProcessCommandRunner commands, FileChannel lockFile) {
        try {
            if (agent != null) {
                try {
                    agent.removeEverything();
                } finally {
                    agent.close(); // gives up the demo agent's claim on its prefixes
                }
            }
        } finally {
            commands.close(); // its long-lived nft must not outlive the demo
            try {
                lockFile.close();
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
        }
    }

    @Override
    public int port() {
        return app.port();
    }

    @Override
    public String where() {
        return "inside network namespace " + status.namespace() + " at " + status.address();
    }

    @Override
    public Optional<String> network() {
        return Optional.of("veth " + status.desired().hostInterface() + " (host end " + status.hostAddress()
                + "), nftables table inet " + names.table() + ", egress " + EGRESS_MBIT + " Mbit/s ("
                + agent.shapingMode().name().toLowerCase(java.util.Locale.ROOT) + ")");
    }

    @Override
    public void routeTo(GatewayConfig.Builder config) {
        config.routeFile(routeFile);
        config.workspaceAddressRanges(List.of(AddressRange.parse(names.range().toString())));
    }

    /** Stops the app, then deletes the workspace network, the table and the desired state. */
    @Override
    public void close() {
        try {
            app.close();
        } finally {
            release(agent, commands, lockFile);
        }
    }
}
