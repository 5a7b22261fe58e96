package dev.portcullis.agent.ports;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns which TCP ports listen inside each workspace whose route is published, and publishes them
 * with the route when they change. One platform thread scans every {@code interval}: it enters each
 * workspace's namespace in turn and reads the kernel's {@code tcp} and {@code tcp6} tables through a
 * process inside it ({@link NamespaceSocketTables}, {@link ProcNetTcp}); nothing is forked, and a scan
 * writes to the store only for the workspaces whose ports changed.
 *
 * <p>Nothing here takes the agent's locks: the workspaces come from the route sink's published map, a
 * delete that withdrew the route first wins ({@link RouteSink#listening} leaves a withdrawn workspace
 * alone), and the last scan's ports are kept in memory for readers ({@link #ports}).
 */
public final class ListeningPortWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ListeningPortWatcher.class);
    private static final List<String> TABLES = List.of("tcp", "tcp6");

    private final RouteSink routes;
    private final Function<WorkspaceId, String> namespaceOf;
    private final NamespaceSocketTables tables;
    private final Map<String, SortedSet<Integer>> seen = new ConcurrentHashMap<>();
    private final Map<String, String> lastProblem = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scanner = Executors.newSingleThreadScheduledExecutor(runnable -> {
        return Thread.ofPlatform().name("agent-port-scan").daemon().unstarted(runnable);
    });

    /**
     * @param namespaceOf the namespace of a workspace, from the agent's own naming
     * @param namespaceDir where named namespaces are mounted ({@code /run/netns})
     */
    public ListeningPortWatcher(RouteSink routes, Function<WorkspaceId, String> namespaceOf, Path namespaceDir) {
        this.routes = requireNonNull(routes, "routes");
        this.namespaceOf = requireNonNull(namespaceOf, "namespaceOf");
        this.tables = new NamespaceSocketTables(Path.of("/proc"), requireNonNull(namespaceDir, "namespaceDir"));
    }

    /** Scans now and then every {@code interval} after the previous scan ended. */
    public ListeningPortWatcher start(Duration interval) {
        long every = interval.toMillis();
        if (every < 10) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: at least 10 ms)");
        }
        scanner.scheduleWithFixedDelay(this::scanQuietly, 0, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The ports listening in each published workspace at the last scan, from memory. */
    public Map<String, SortedSet<Integer>> ports() {
        return Map.copyOf(seen);
    }

    /** One scan on the calling thread's behalf, on the scanner thread; for tests and benchmarks. */
    public ScanReport scanNow() {
        try {
            return scanner.submit(this::scan).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("scan failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** What a scan did: how many namespaces it read, how many workspaces' ports it published, how long it took. */
    public record ScanReport(int namespacesRead, int published, long nanos) {}

    private void scanQuietly() {
        try {
            scan();
        } catch (RuntimeException e) {
            log.error("scan of listening ports failed; trying again next interval", e);
        }
    }

    private ScanReport scan() {
        long start = System.nanoTime();
        Map<Long, Integer> members;
        try {
            members = tables.oneProcessPerNamespace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the processes in /proc: " + e.getMessage(), e);
        }
        int read = 0;
        int published = 0;
        var workspaces = routes.published().keySet();
        seen.keySet().retainAll(workspaces);
        for (String id : workspaces) {
            Optional<SortedSet<Integer>> ports = portsOf(id, members);
            if (ports.isEmpty()) {
                continue;
            }
            read++;
            seen.put(id, ports.get());
            try {
                if (routes.listening(id, ports.get())) {
                    published++;
                    log.debug("workspace {} listens on {}", id, ports.get());
                }
            } catch (RuntimeException e) {
                // The store is out of reach: the next scan tries again (the sink still holds the old ports).
                warnOnce(id, "cannot publish the listening ports of " + id + ": " + e.getMessage());
            }
        }
        return new ScanReport(read, published, System.nanoTime() - start);
    }

    /** The ports listening in workspace {@code id} now, or empty when that cannot be told this time. */
    private Optional<SortedSet<Integer>> portsOf(String id, Map<Long, Integer> members) {
        String namespace;
        try {
            namespace = namespaceOf.apply(WorkspaceId.of(id));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // not a workspace this agent names
        }
        Optional<List<String>> texts;
        try {
            Optional<Long> inode = tables.inodeOf(namespace);
            if (inode.isEmpty()) {
                return Optional.empty(); // being created or deleted
            }
            Integer pid = members.get(inode.get());
            if (pid == null) {
                return Optional.of(Collections.emptySortedSet()); // no process in it, so no socket either
            }
            texts = tables.read(pid, TABLES);
        } catch (IOException e) {
            warnOnce(id, "cannot read the sockets of " + namespace + ": " + e.getMessage());
            return Optional.empty();
        }
        if (texts.isEmpty()) {
            return Optional.empty(); // the process exited meanwhile: the next scan looks again
        }
        ProcNetTcp.Table v4 = ProcNetTcp.parse(texts.get().get(0), false);
        ProcNetTcp.Table v6 = ProcNetTcp.parse(texts.get().get(1), true);
        if (v4.unreadableLines() + v6.unreadableLines() > 0) {
            warnOnce(id, (v4.unreadableLines() + v6.unreadableLines()) + " lines of the socket tables of " + namespace
                    + " were not understood and skipped");
        } else {
            lastProblem.remove(id);
        }
        return Optional.of(ProcNetTcp.reachablePorts(List.of(v4, v6)));
    }

    private void warnOnce(String id, String problem) {
        if (!problem.equals(lastProblem.put(id, problem))) {
            log.warn(problem);
        }
    }

    @Override
    public void close() {
        scanner.shutdownNow();
        try {
            scanner.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
