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
 * with the route when they change. One platform thread scans every {@code interval} (500 ms in the
 * agent): for each workspace it reads, through one process inside the namespace
 * ({@link NamespaceSocketTables}), the namespace's TCP socket counts, and only when they moved (or at
 * least every {@link #FULL_READ_AT_LEAST_EVERY}) its {@code tcp} and {@code tcp6} tables
 * ({@link ProcNetTcp}). Nothing is forked, a scan writes to the store only for the workspaces whose
 * ports changed, and a scan that took long delays the next one (at most a quarter of a core).
 *
 * <p>Nothing here takes the agent's locks: the workspaces come from the route sink's published map, a
 * delete that withdrew the route first wins ({@link RouteSink#listening} leaves a withdrawn workspace
 * alone), and the last scan's ports are kept in memory for readers ({@link #ports}).
 */
public final class ListeningPortWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ListeningPortWatcher.class);
    private static final List<String> TABLES = List.of("tcp", "tcp6");
    private static final List<String> COUNTS = List.of("sockstat", "sockstat6");
    /**
     * How often a namespace's tables are read even though its socket counts did not move: catches a
     * listener that closed while another opened within one interval (the counts then stay equal).
     */
    static final Duration FULL_READ_AT_LEAST_EVERY = Duration.ofSeconds(30);
    /** The scanner never takes more than a quarter of one core: the next scan waits 3x the last one at least. */
    private static final int IDLE_PER_BUSY = 3;

    private final RouteSink routes;
    private final Function<WorkspaceId, String> namespaceOf;
    private final NamespaceSocketTables tables;
    private final Map<String, SortedSet<Integer>> seen = new ConcurrentHashMap<>();
    private final Map<String, String> lastProblem = new ConcurrentHashMap<>();
    /** Scanner thread only: each workspace's socket counts at its last full read, and when that was. */
    private final Map<String, Counted> counted = new java.util.HashMap<>();
    private Duration interval;

    private record Counted(String counts, long readAtNanos) {}
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

    /** Scans now, then {@code interval} after each scan ended (longer after a long scan). */
    public ListeningPortWatcher start(Duration interval) {
        long every = interval.toMillis();
        if (every < 10) {
            throw new IllegalArgumentException("interval: " + interval + " (expected: at least 10 ms)");
        }
        this.interval = interval;
        scanner.execute(this::scanAndReschedule);
        return this;
    }

    private void scanAndReschedule() {
        long start = System.nanoTime();
        scanQuietly();
        long busy = System.nanoTime() - start;
        long delay = Math.max(interval.toNanos(), IDLE_PER_BUSY * busy);
        if (!scanner.isShutdown()) {
            try {
                scanner.schedule(this::scanAndReschedule, delay, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // close() won the race
            }
        }
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

    /**
     * What a scan did: how many namespaces it looked at, how many of those it read the socket tables of
     * (their counts moved), how many workspaces' ports it published, how long it took.
     */
    public record ScanReport(int namespacesSeen, int tablesRead, int published, long nanos) {}

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
        int looked = 0;
        int published = 0;
        tablesRead = 0;
        var workspaces = routes.published().keySet();
        seen.keySet().retainAll(workspaces);
        counted.keySet().retainAll(workspaces);
        for (String id : workspaces) {
            Optional<SortedSet<Integer>> ports = portsOf(id, members);
            if (ports.isEmpty()) {
                continue;
            }
            looked++;
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
        return new ScanReport(looked, tablesRead, published, System.nanoTime() - start);
    }

    /** The ports listening in workspace {@code id} now, or empty when that cannot be told this time. */
    private int tablesRead; // scanner thread only, per scan

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
                counted.remove(id);
                return Optional.of(Collections.emptySortedSet()); // no process in it, so no socket either
            }
            // Reading a tcp table walks the kernel's whole established-connection hash (every namespace
            // shares it), milliseconds per read; the socket counts cost microseconds. So the tables are
            // read only when the namespace's TCP socket counts moved since the last read.
            Optional<List<String>> counts = tables.read(pid, COUNTS);
            if (counts.isEmpty()) {
                return Optional.empty(); // the process exited meanwhile: the next scan looks again
            }
            String now = tcpCounts(counts.get());
            Counted last = counted.get(id);
            long at = System.nanoTime();
            if (last != null && last.counts().equals(now) && seen.containsKey(id)
                    && at - last.readAtNanos() < FULL_READ_AT_LEAST_EVERY.toNanos()) {
                return Optional.of(seen.get(id));
            }
            texts = tables.read(pid, TABLES);
            tablesRead++;
            if (texts.isPresent()) {
                counted.put(id, new Counted(now, at));
            }
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

    /** The "TCP: inuse N" and "TCP6: inuse N" lines of sockstat and sockstat6: sockets hashed in this namespace. */
    static String tcpCounts(List<String> sockstats) {
        StringBuilder counts = new StringBuilder();
        for (String text : sockstats) {
            for (String line : text.split("\n")) {
                if (line.startsWith("TCP: ") || line.startsWith("TCP6: ")) {
                    int end = line.indexOf(" orphan");
                    counts.append(end < 0 ? line : line.substring(0, end)).append(';');
                }
            }
        }
        return counts.toString();
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
