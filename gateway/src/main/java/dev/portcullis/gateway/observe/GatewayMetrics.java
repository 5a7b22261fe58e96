package dev.portcullis.gateway.observe;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * The gateway's metrics, in one registry of its own (not the global one, so two gateways in one
 * JVM — as in tests — never share counts). Updating them is lock-free and allocation-light, so they
 * are updated on the event loop. None records exemplars: an exemplar needs a trace, which the gateway
 * has none of, and the sampler still ran on every update — a read of its state and, now and then, a
 * task scheduled on the client library's timer (≈ 0.15 µs per request in a CPU profile of the event loop).
 */
public final class GatewayMetrics {
    /** The label that carries a workspace id. */
    public static final String WORKSPACE_LABEL = "workspace";
    private final PrometheusRegistry registry = new PrometheusRegistry();

    private final Counter requests = Counter.builder().name("portcullis_requests_total")
            .help("Requests answered, by status class (1xx..5xx) and by who answered (workspace or gateway)")
            .labelNames("code_class", "answered_by").withoutExemplars().register(registry);
    private final Histogram duration = Histogram.builder().name("portcullis_request_duration_seconds")
            .help("From request head to the end of the response, for requests that were not upgraded")
            .classicOnly().classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .withoutExemplars().register(registry);
    private final Gauge connections = Gauge.builder().name("portcullis_active_connections")
            .help("Open client connections").withoutExemplars().register(registry);
    private final Counter rejectedConnections = Counter.builder().name("portcullis_rejected_connections_total")
            .help("Connections closed at accept, by the limit they met (max_connections, per_address)")
            .labelNames("limit").withoutExemplars().register(registry);
    private final Counter http2Closes = Counter.builder().name("portcullis_http2_deadline_closes_total")
            .help("HTTP/2 connections closed by a deadline: no first request head in time (request_head), or"
                    + " no open stream for timeouts.http2Idle (idle), or a header block not finished within"
                    + " timeouts.requestHead (header_block)")
            .labelNames("deadline").withoutExemplars().register(registry);
    private final Counter http2ConnectionErrors = Counter.builder().name("portcullis_http2_connection_errors_total")
            .help("HTTP/2 connections that ended in an error, by its code: a client's protocol error (protocol_error,"
                    + " flow_control_error, enhance_your_calm, ...), io (the connection failed) or internal")
            .labelNames("error").withoutExemplars().register(registry);
    private final Counter workspaceConnectionRefusals = Counter.builder()
            .name("portcullis_workspace_connection_refusals_total")
            .help("Requests answered 503 instead of getting a workspace connection, by the limit they met"
                    + " (per_client_connection, per_principal, per_workspace, descriptors)")
            .labelNames("limit").withoutExemplars().register(registry);
    private final Gauge workspaceConnectionsHeld = Gauge.builder().name("portcullis_workspace_connections_held")
            .help("Requests holding a workspace connection (their leases under the workspace connection limits)")
            .withoutExemplars().register(registry);
    private final Gauge fileDescriptors = Gauge.builder().name("portcullis_file_descriptors")
            .help("The gateway's descriptor budget (budget), the part kept for accepting and answering (reserve),"
                    + " and how many are open (in_use, sampled every second)")
            .labelNames("state").withoutExemplars().register(registry);
    private final Counter acceptErrors = Counter.builder().name("portcullis_accept_errors_total")
            .help("Failed accepts of client connections (EMFILE 'Too many open files', say); each pauses accepting")
            .withoutExemplars().register(registry);
    private final Gauge tunnels = Gauge.builder().name("portcullis_active_tunnels")
            .help("Open WebSocket tunnels, by workspace").labelNames("workspace").withoutExemplars().register(registry);
    private final Counter bytes = Counter.builder().name("portcullis_bytes_total")
            .help("Body bytes relayed, by workspace and direction (to_workspace, to_client)")
            .labelNames("workspace", "direction").withoutExemplars().register(registry);
    private final Counter gatewayAnswers = Counter.builder().name("portcullis_gateway_errors_total")
            .help("Requests the gateway answered itself, by error code (e.g. port-not-served, upstream-timeout)")
            .labelNames("error").withoutExemplars().register(registry);
    // Bandwidth fairness (docs/fairness.md): one series per workspace with open flows, removed
    // when the workspace has had none for a while, so the label set follows the active workspaces.
    private final Gauge fairnessCapacity = Gauge.builder().name("portcullis_fairness_capacity_bytes_per_second")
            .help("The node capacity shared between workspaces (+Inf: unlimited, only caps apply)").withoutExemplars().register(registry);
    private final Counter fairnessBytes = Counter.builder().name("portcullis_fairness_bytes_total")
            .help("Bytes relayed for a workspace (both directions) under bandwidth fairness").labelNames("workspace")
            .withoutExemplars().register(registry);
    private final Gauge fairnessRate = Gauge.builder().name("portcullis_fairness_rate_bytes_per_second")
            .help("A workspace's current rate, both directions, smoothed over about a second").labelNames("workspace")
            .withoutExemplars().register(registry);
    private final Gauge fairnessAllocation = Gauge.builder().name("portcullis_fairness_allocation_bytes_per_second")
            .help("What the last tick allocated to a workspace (its demand when it wants less than its share)")
            .labelNames("workspace").withoutExemplars().register(registry);
    private final Counter fairnessThrottled = Counter.builder().name("portcullis_fairness_throttled_seconds_total")
            .help("Time during which a flow of the workspace waited for its budget").labelNames("workspace")
            .withoutExemplars().register(registry);
    private final Gauge fairnessFlows = Gauge.builder().name("portcullis_fairness_flows")
            .help("Open relay flows of a workspace (request bodies, response bodies, tunnel directions)")
            .labelNames("workspace").withoutExemplars().register(registry);
    private final Counter handshakeFailures = Counter.builder().name("portcullis_tls_handshake_failures_total")
            .help("TLS handshakes that failed").withoutExemplars().register(registry);

    private final Counter accessDecisions = Counter.builder().name("portcullis_access_decisions_total")
            .help("Access decisions, by outcome and the reason code that decided (policy rule names are admin-chosen, so bounded)")
            .labelNames("decision", "reason").withoutExemplars().register(registry);
    private final CounterDataPoint unauditedAllows = Counter.builder().name("portcullis_access_allows_unaudited_total")
            .help("Allows not written to the audit log because the same principal was already allowed to the same port"
                    + " on the same connection (they are counted in portcullis_access_decisions_total too)")
            .withoutExemplars().register(registry).labelValues();
    private final Counter revocations = Counter.builder().name("portcullis_access_revocations_total")
            .help("Open connections and tunnels closed because their access ended, by why")
            .labelNames("reason").withoutExemplars().register(registry);

    // Series looked up once per label set, then only incremented: a request pays an add, not a
    // label lookup (a varargs array, a list and its hash, a map lookup) per counter it touches.
    private final AtomicReferenceArray<CounterDataPoint> requestsByClass = new AtomicReferenceArray<>(20);
    private final Map<String, WorkspaceBytes> bytesByWorkspace = new ConcurrentHashMap<>();
    private final Map<String, CounterDataPoint> allowsByReason = new ConcurrentHashMap<>();
    // The lookups' functions made once: a lambda reading a field of this object, written at the call,
    // would be a new object on every request.
    private final Function<String, WorkspaceBytes> newWorkspaceBytes = id -> new WorkspaceBytes(
            bytes.labelValues(id, "to_workspace"), bytes.labelValues(id, "to_client"));
    private final Function<String, CounterDataPoint> newAllowCounter = reason -> accessDecisions.labelValues("allow", reason);

    private final Counter refusedRoutes = Counter.builder().name("portcullis_routes_refused_total")
            .help("Routes not used because their address is outside the workspace address ranges or the gateway's own host,"
                    + " by source (route_file, store) and reason (outside_ranges, gateway_host)")
            .labelNames("source", "reason").withoutExemplars().register(registry);

    public void routeRefused(String source, String reason) {
        refusedRoutes.labelValues(source, reason).inc();
    }

    public void accessDecided(boolean allowed, String reason) {
        accessDecisions.labelValues(allowed ? "allow" : "deny", reason).inc();
    }

    /** An allow that the audit log left out: the connection's first allow of the same caller and port was written. */
    public void accessAllowedUnaudited(String reason) {
        allowsByReason.computeIfAbsent(reason, newAllowCounter).inc();
        unauditedAllows.inc();
    }

    /** What {@link #accessAllowedUnaudited} increments for {@code reason}, looked up once. */
    public UnauditedAllow unauditedAllowCounter(String reason) {
        return new UnauditedAllow(allowsByReason.computeIfAbsent(reason, newAllowCounter), unauditedAllows);
    }

    /** The two series an unaudited allow for one reason counts in. */
    public record UnauditedAllow(CounterDataPoint byReason, CounterDataPoint all) {
        public void count() {
            byReason.inc();
            all.inc();
        }
    }

    public void accessRevoked(String reason) {
        revocations.labelValues(reason).inc();
    }

    public void requestFinished(int status, boolean answeredByGateway, long durationNanos) {
        requestsOf(status / 100, answeredByGateway).inc();
        duration.observe(durationNanos / 1e9);
    }

    private CounterDataPoint requestsOf(int statusClass, boolean answeredByGateway) {
        if (statusClass < 0 || statusClass > 9) {
            return requests.labelValues(statusClass + "xx", answeredByGateway ? "gateway" : "workspace");
        }
        int slot = statusClass * 2 + (answeredByGateway ? 1 : 0);
        CounterDataPoint point = requestsByClass.get(slot);
        if (point == null) {
            // Two event loops may both look it up: the registry gives both the same series.
            point = requests.labelValues(statusClass + "xx", answeredByGateway ? "gateway" : "workspace");
            requestsByClass.set(slot, point);
        }
        return point;
    }

    public void gatewayAnswered(String errorCode) {
        gatewayAnswers.labelValues(errorCode).inc();
    }

    public void connectionOpened() {
        connections.inc();
    }

    /** A connection closed at accept: over {@code limits.maxConnections} in all, or from one address. */
    public void connectionRejected(boolean perAddress) {
        rejectedConnections.labelValues(perAddress ? "per_address" : "max_connections").inc();
    }

    /** A request refused a workspace connection by {@code limit} (a {@code WorkspaceConnections.Limit} label). */
    public void workspaceConnectionRefused(String limit) {
        workspaceConnectionRefusals.labelValues(limit).inc();
    }

    public void workspaceConnectionsHeld(int change) {
        workspaceConnectionsHeld.inc(change);
    }

    public void fileDescriptors(long budget, long reserve, long inUse) {
        fileDescriptors.labelValues("budget").set(budget);
        fileDescriptors.labelValues("reserve").set(reserve);
        fileDescriptors.labelValues("in_use").set(inUse);
    }

    public void acceptFailed() {
        acceptErrors.inc();
    }

    /** A client connection closed at accept because the descriptor budget was spent. */
    public void connectionRejectedForDescriptors() {
        rejectedConnections.labelValues("descriptors").inc();
    }

    /** An HTTP/2 connection closed by a deadline: {@code request_head} or {@code idle}. */
    public void http2DeadlineClosed(String deadline) {
        http2Closes.labelValues(deadline).inc();
    }

    /** An HTTP/2 connection ended in an error: an HTTP/2 error code in lower case, {@code io} or {@code internal}. */
    public void http2ConnectionError(String error) {
        http2ConnectionErrors.labelValues(error).inc();
    }

    public void connectionClosed() {
        connections.dec();
    }

    public void tunnelOpened(String workspace) {
        tunnels.labelValues(workspace).inc();
    }

    public void tunnelClosed(String workspace) {
        tunnels.labelValues(workspace).dec();
    }

    /** A workspace's two byte counters, looked up once per workspace: a request keeps them for its chunks. */
    public WorkspaceBytes bytesOf(String workspace) {
        return bytesByWorkspace.computeIfAbsent(workspace, newWorkspaceBytes);
    }

    /** The body bytes relayed for one workspace, by direction. */
    public record WorkspaceBytes(CounterDataPoint toWorkspace, CounterDataPoint toClient) {
        public void toWorkspace(long count) {
            if (count > 0) {
                toWorkspace.inc(count);
            }
        }

        public void toClient(long count) {
            if (count > 0) {
                toClient.inc(count);
            }
        }
    }

    public void handshakeFailed() {
        handshakeFailures.inc();
    }

    public void fairnessCapacity(double bytesPerSecond) {
        fairnessCapacity.set(bytesPerSecond);
    }

    /** A workspace's fairness series, looked up once, so a scheduler tick updates them without lookups. */
    public FairnessSeries fairnessSeries(String workspace) {
        return new FairnessSeries(workspace);
    }

    /** One workspace's fairness series; updated on the scheduler's thread. */
    public final class FairnessSeries {
        private final String workspace;
        private final CounterDataPoint bytes;
        private final CounterDataPoint throttled;
        private final GaugeDataPoint rate;
        private final GaugeDataPoint allocation;
        private final GaugeDataPoint flows;

        private FairnessSeries(String workspace) {
            this.workspace = workspace;
            bytes = fairnessBytes.labelValues(workspace);
            throttled = fairnessThrottled.labelValues(workspace);
            rate = fairnessRate.labelValues(workspace);
            allocation = fairnessAllocation.labelValues(workspace);
            flows = fairnessFlows.labelValues(workspace);
        }

        /** One scheduler tick's numbers. */
        public void tick(long relayedBytes, double bytesPerSecond, double allocationPerSecond, double throttledSeconds,
                         int openFlows) {
            if (relayedBytes > 0) {
                bytes.inc(relayedBytes);
            }
            if (throttledSeconds > 0) {
                throttled.inc(throttledSeconds);
            }
            rate.set(bytesPerSecond);
            allocation.set(allocationPerSecond);
            flows.set(openFlows);
        }

        /** The workspace has had no flow for a while: its series go. */
        public void remove() {
            fairnessBytes.remove(workspace);
            fairnessRate.remove(workspace);
            fairnessAllocation.remove(workspace);
            fairnessThrottled.remove(workspace);
            fairnessFlows.remove(workspace);
        }
    }

    /** For metrics that other parts register themselves (the store's, read by callback at scrape time). */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Writes every metric in the Prometheus text format. */
    public void writeText(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }

    /**
     * Writes the metrics that name no workspace: for a scrape nobody authenticated, which must not
     * learn which workspaces exist (issue 17, item 8). Whole families go when any series has a
     * {@value #WORKSPACE_LABEL} label, so a family never shows half its series.
     */
    public void writeTextWithoutWorkspaces(OutputStream out) throws IOException {
        List<MetricSnapshot> kept = new ArrayList<>();
        for (MetricSnapshot family : registry.scrape()) {
            boolean namesWorkspaces = family.getDataPoints().stream()
                    .anyMatch(point -> point.getLabels().get(WORKSPACE_LABEL) != null);
            if (!namesWorkspaces) {
                kept.add(family);
            }
        }
        PrometheusTextFormatWriter.create().write(out, new MetricSnapshots(kept));
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
