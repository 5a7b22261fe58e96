package dev.portcullis.compat;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.HostSupport;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import dev.portcullis.agent.route.FileRouteSink;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One workspace network built by the host agent's library as for a real workspace (namespace, veth
 * with its peer made inside, the agent's nftables table, its route in a route file the gateway
 * watches), under names and a range no other test or demo uses. The apps run inside it; the gateway
 * on the host reaches them through the veth. Nothing inside can reach anything beyond the host:
 * every forwarded destination is blocked, so an app's update check or telemetry goes nowhere.
 */
final class CompatWorkspace implements AutoCloseable {
    static final String NAMESPACE_PREFIX = "pccompat-";
    static final String INTERFACE_PREFIX = "pccmp";
    static final String TABLE = "pccompat";
    static final Ipv4Cidr RANGE = Ipv4Cidr.parse("10.213.177.0/24");

    private final ProcessCommandRunner commands;
    private final WorkspaceNetworks agent;
    private final WorkspaceStatus status;
    private final Path routeFile;

    private CompatWorkspace(ProcessCommandRunner commands, WorkspaceNetworks agent, WorkspaceStatus status, Path routeFile) {
        this.commands = commands;
        this.agent = agent;
        this.status = status;
        this.routeFile = routeFile;
    }

    /**
     * Builds the workspace's network. Without root networking the suite fails in CI (which runs as
     * root, so that is a broken machine) and skips elsewhere, saying what is missing.
     */
    static CompatWorkspace create(Path stateDir, String id, String owner, String org) {
        ProcessCommandRunner commands = new ProcessCommandRunner();
        Optional<String> missing = HostSupport.whatIsMissing(commands, NAMESPACE_PREFIX + "check-" + ProcessHandle.current().pid());
        if (missing.isPresent()) {
            String message = "the compatibility suite needs real workspace networks: " + missing.get();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException(message);
            }
            assumeTrue(false, message);
        }
        Path routeFile = stateDir.resolve("routes.json");
        WorkspaceNetworks agent = new WorkspaceNetworks(AgentConfig.builder()
                .stateDir(stateDir)
                .socketPath(stateDir.resolve("agent.sock")) // required by the config; no local API is served
                .namespacePrefix(NAMESPACE_PREFIX)
                .interfacePrefix(INTERFACE_PREFIX)
                .tableName(TABLE)
                .addressRange(RANGE)
                .allowHostToWorkspaces(true) // the gateway runs on this host
                .blockedDestinations(List.of(Ipv4Cidr.parse("0.0.0.0/0"))) // the apps reach nothing beyond the host
                .globalForwarding(false)
                .reconcileInterval(Duration.ofHours(1))
                .hostName("compat")
                .routeFile(routeFile)
                // Each run has a state directory of its own, so a run killed before its close (a stopped
                // CI job) leaves its network behind with no state file; these names are the suite's
                // alone, so the start-up reconcile may delete them instead of refusing to start.
                .acceptMissingState(true)
                .spareNamespaces(0) // one workspace, made at start: nothing to make ahead of demand
                .build(), commands, new FileRouteSink(routeFile), StepListener.NONE, Clock.systemUTC());
        try {
            agent.start(); // removes what a killed earlier run left under these names
            WorkspaceStatus status = agent.create(new WorkspaceSpec(WorkspaceId.of(id), owner, org, Optional.empty(), 0));
            return new CompatWorkspace(commands, agent, status, routeFile);
        } catch (RuntimeException e) {
            agent.removeEverything();
            throw e;
        }
    }

    String namespace() {
        return status.namespace();
    }

    InetAddress address() {
        try {
            return InetAddress.getByName(status.address()); // an IP literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalStateException("workspace address: " + status.address(), e);
        }
    }

    /** The route file the gateway watches; the agent wrote the workspace's route (owner, org) there. */
    Path routeFile() {
        return routeFile;
    }

    /**
     * Kills every process inside the namespace, however it was started (an IDE's terminals and
     * extension hosts, a notebook's kernels, a dev server's esbuild): the kernel lists them all.
     */
    void killEverythingInside() {
        for (int round = 0; round < 3; round++) {
            List<String> pids = commands.run(List.of("ip", "netns", "pids", namespace()), "").stdout().lines()
                    .map(String::strip).filter(pid -> !pid.isEmpty()).toList();
            if (pids.isEmpty()) {
                return;
            }
            boolean politely = round == 0; // SIGTERM first, then SIGKILL for whatever ignored it
            List<ProcessHandle> processes = pids.stream().map(Long::parseLong).map(ProcessHandle::of)
                    .flatMap(Optional::stream).toList();
            processes.forEach(process -> {
                if (politely) {
                    process.destroy();
                } else {
                    process.destroyForcibly();
                }
            });
            for (ProcessHandle process : processes) {
                process.onExit().completeOnTimeout(process, 5, TimeUnit.SECONDS).join();
            }
        }
    }

    /** Kills what runs inside, then deletes the namespace, its veth, the table and the desired state. */
    @Override
    public void close() {
        try {
            killEverythingInside();
        } finally {
            try {
                agent.removeEverything();
            } finally {
                commands.close(); // its long-lived nft -i goes with the workspace
            }
        }
    }
}
