package dev.portcullis.gateway.observe;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The gateway's metrics, in one registry of its own (not the global one, so two gateways in one
 * JVM — as in tests — never share counts). Updating them is lock-free and allocation-light, so they
 * are updated on the event loop.
 */
public final class GatewayMetrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    private final Counter requests = Counter.builder().name("portcullis_requests_total")
            .help("Requests answered, by status class (1xx..5xx) and by who answered (workspace or gateway)")
            .labelNames("code_class", "answered_by").register(registry);
    private final Histogram duration = Histogram.builder().name("portcullis_request_duration_seconds")
            .help("From request head to the end of the response, for requests that were not upgraded")
            .classicOnly().classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
            .register(registry);
    private final Gauge connections = Gauge.builder().name("portcullis_active_connections")
            .help("Open client connections").register(registry);
    private final Counter rejectedConnections = Counter.builder().name("portcullis_rejected_connections_total")
            .help("Connections closed at accept because limits.maxConnections were open").register(registry);
    private final Gauge tunnels = Gauge.builder().name("portcullis_active_tunnels")
            .help("Open WebSocket tunnels, by workspace").labelNames("workspace").register(registry);
    private final Counter bytes = Counter.builder().name("portcullis_bytes_total")
            .help("Body bytes relayed, by workspace and direction (to_workspace, to_client)")
            .labelNames("workspace", "direction").register(registry);
    private final Counter gatewayAnswers = Counter.builder().name("portcullis_gateway_errors_total")
            .help("Requests the gateway answered itself, by error code (e.g. port-not-served, upstream-timeout)")
            .labelNames("error").register(registry);
    private final Counter handshakeFailures = Counter.builder().name("portcullis_tls_handshake_failures_total")
            .help("TLS handshakes that failed").register(registry);

    private final Counter accessDecisions = Counter.builder().name("portcullis_access_decisions_total")
            .help("Access decisions, by outcome and the reason code that decided (policy rule names are admin-chosen, so bounded)")
            .labelNames("decision", "reason").register(registry);
    private final Counter revocations = Counter.builder().name("portcullis_access_revocations_total")
            .help("Open connections and tunnels closed because their access ended, by why")
            .labelNames("reason").register(registry);

    public void accessDecided(boolean allowed, String reason) {
        accessDecisions.labelValues(allowed ? "allow" : "deny", reason).inc();
    }

    public void accessRevoked(String reason) {
        revocations.labelValues(reason).inc();
    }

    public void requestFinished(int status, boolean answeredByGateway, long durationNanos) {
        requests.labelValues(status / 100 + "xx", answeredByGateway ? "gateway" : "workspace").inc();
        duration.observe(durationNanos / 1e9);
    }

    public void gatewayAnswered(String errorCode) {
        gatewayAnswers.labelValues(errorCode).inc();
    }

    public void connectionOpened() {
        connections.inc();
    }

    public void connectionRejected() {
        rejectedConnections.inc();
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

    public void bytesToWorkspace(String workspace, long count) {
        if (count > 0) {
            bytes.labelValues(workspace, "to_workspace").inc(count);
        }
    }

    public void bytesToClient(String workspace, long count) {
        if (count > 0) {
            bytes.labelValues(workspace, "to_client").inc(count);
        }
    }

    public void handshakeFailed() {
        handshakeFailures.inc();
    }

    /** For metrics that other parts register themselves (the store's, read by callback at scrape time). */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** Writes every metric in the Prometheus text format. */
    public void writeText(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }

    public static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
