package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The route table fed by the route files that host agents on this machine write (a JSON array of
 * {@code {workspaceId, address, ...}}, replaced atomically), merged with the config's static routes.
 * The files are polled; a changed set builds a new {@link RouteTable} that is swapped in whole, so
 * the request path only ever reads one immutable snapshot. A record that is not valid, or whose
 * address the {@link RouteGuard} refuses, is logged and skipped; a file that cannot be read or parsed keeps its last good routes.
 */
public final class RouteFiles implements Supplier<RouteTable>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RouteFiles.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<WorkspaceRoute> staticRoutes;
    private final List<Path> files;
    private final Map<Path, byte[]> lastContent = new HashMap<>();
    private final Map<Path, List<WorkspaceRoute>> lastGood = new LinkedHashMap<>();
    private final ScheduledExecutorService poller;
    private final BiConsumer<RouteTable, RouteTable> onChange;
    private final RouteGuard guard;
    private volatile RouteTable current;

    private RouteFiles(List<WorkspaceRoute> staticRoutes, List<Path> files, Duration pollInterval, RouteGuard guard,
                       BiConsumer<RouteTable, RouteTable> onChange) {
        this.staticRoutes = List.copyOf(staticRoutes);
        this.guard = requireNonNull(guard, "guard");
        this.files = List.copyOf(files);
        this.onChange = onChange;
        this.current = RouteTable.of(this.staticRoutes);
        this.poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("route-files").factory());
        refresh();
        long interval = pollInterval.toMillis();
        poller.scheduleWithFixedDelay(this::refresh, interval, interval, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts watching {@code files}; the static routes win over a file's route for the same
     * workspace. A file's route that {@code guard} refuses is left out. {@code onChange} gets the
     * table before and after each swap.
     */
    public static RouteFiles watch(RouteTable staticRoutes, List<Path> files, Duration pollInterval, RouteGuard guard,
                                   BiConsumer<RouteTable, RouteTable> onChange) {
        return new RouteFiles(staticRoutes.routes(), files, pollInterval, guard, onChange);
    }

    @Override
    public RouteTable get() {
        return current;
    }

    private void refresh() {
        boolean changed = false;
        for (Path file : files) {
            changed |= reread(file);
        }
        if (changed) {
            Map<String, WorkspaceRoute> merged = new LinkedHashMap<>();
            staticRoutes.forEach(route -> merged.put(route.workspaceId(), route));
            for (Map.Entry<Path, List<WorkspaceRoute>> entry : lastGood.entrySet()) {
                for (WorkspaceRoute route : entry.getValue()) {
                    WorkspaceRoute kept = merged.putIfAbsent(route.workspaceId(), route);
                    if (kept != null && kept != route) {
                        log.warn("{}: workspace '{}' already has a route ({}); this one is ignored",
                                entry.getKey(), route.workspaceId(), kept.address().getHostAddress());
                    }
                }
            }
            RouteTable before = current;
            current = RouteTable.of(merged.values());
            log.info("Routes: {} workspace(s)", current.size());
            onChange.accept(before, current);
        }
    }

    /** Reads one file if its bytes changed; returns whether its routes changed. */
    private boolean reread(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            content = "[]".getBytes(StandardCharsets.US_ASCII); // no agent has published yet: no routes from it
        } catch (IOException e) {
            log.warn("{}: cannot read routes, keeping the last good ones: {}", file, e.getMessage());
            return false;
        }
        if (Arrays.equals(content, lastContent.get(file))) {
            return false;
        }
        lastContent.put(file, content);
        JsonNode records;
        try {
            records = JSON.readTree(content);
        } catch (IOException e) {
            log.error("{}: not valid JSON, keeping the last good routes: {}", file, e.getMessage());
            return false;
        }
        if (records == null || !records.isArray()) {
            log.error("{}: expected a JSON array of routes, keeping the last good routes", file);
            return false;
        }
        List<WorkspaceRoute> routes = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            try {
                WorkspaceRoute route = parse(records.get(i));
                if (guard.admits(RouteGuard.ROUTE_FILE, file + ": route [" + i + "]", route.workspaceId(), route.address())) {
                    routes.add(route);
                }
            } catch (IllegalArgumentException e) {
                log.error("{}: route [{}] skipped: {}", file, i, e.getMessage());
            }
        }
        lastGood.put(file, List.copyOf(routes));
        return true;
    }

    private static WorkspaceRoute parse(JsonNode record) {
        String id = record.path("workspaceId").asText(null);
        String address = record.path("address").asText(null);
        if (id == null || address == null) {
            throw new IllegalArgumentException("workspaceId and address are required");
        }
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(address);
        if (ip == null) {
            throw new IllegalArgumentException("address '" + address + "' (expected: an IP address)");
        }
        String owner = record.path("owner").asText(null);
        if (owner == null || owner.isEmpty()) {
            return new WorkspaceRoute(id, ip); // an older agent: reachable only while access is not enforced
        }
        String org = record.path("org").asText(null);
        Map<String, String> labels = new LinkedHashMap<>();
        record.path("labels").properties().forEach(label -> labels.put(label.getKey(), label.getValue().asText()));
        return WorkspaceRoute.owned(id, ip, !"stopped".equals(record.path("state").asText("running")), Set.of(),
                owner, org == null || org.isEmpty() ? null : org, labels);
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
