package dev.portcullis.gateway.observe;

import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request (or one tunnel) as seen by the access log and the metrics: filled in as the request
 * passes through the proxy, written once when it ends. The access log is one logfmt line per
 * exchange on the logger {@code portcullis.access}; the query string is never logged, so a token
 * passed in a URL does not land in the log.
 */
public final class Exchange {
    private static final Logger accessLog = LoggerFactory.getLogger("portcullis.access");

    private final GatewayMetrics metrics;
    private final InetSocketAddress client;
    private final long startNanos = System.nanoTime();
    private String method = "-";
    private String path = "-";
    private String workspace = "-";
    private String principal = "-";
    private int port;
    private int status;
    private boolean answeredByGateway;
    private String error = "-";
    private long bytesIn;
    private long bytesOut;
    // The workspace's byte counters, looked up at the first chunk rather than at every one.
    private GatewayMetrics.WorkspaceBytes bytes;
    private long responseHeadNanos = -1;
    private boolean tunnel;
    private boolean finished;
    private boolean cutShort;

    public Exchange(GatewayMetrics metrics, InetSocketAddress client, String method, String uri) {
        this.metrics = metrics;
        this.client = client;
        this.method = method;
        int query = uri.indexOf('?');
        this.path = query >= 0 ? uri.substring(0, query) : uri;
    }

    public void routedTo(String workspace, int port) {
        this.workspace = workspace;
        this.port = port;
        this.bytes = null;
    }

    /** The verified user this request runs as. */
    public void authenticatedAs(String user) {
        this.principal = user;
    }

    public void responseHead(int status) {
        this.status = status;
        if (responseHeadNanos < 0) {
            responseHeadNanos = System.nanoTime() - startNanos;
        }
    }

    public void answeredByGateway(int status, String error) {
        this.status = status;
        this.answeredByGateway = true;
        this.error = error;
        metrics.gatewayAnswered(error);
    }

    /**
     * The exchange ends before its response did, because of {@code why} (a stable code such as
     * {@code client-closed} or {@code client-reset-cancel}; the first cause given stands). The status is {@code statusIfNoResponse}
     * when no response head went to the client (499, "client closed request", as nginx logs it, when
     * the client went away); a response that had started keeps its status.
     */
    public void cutShort(int statusIfNoResponse, String why) {
        if (cutShort) {
            return; // the first cause stands (a stream reset, then its close)
        }
        cutShort = true;
        if (status == 0) {
            status = statusIfNoResponse;
        }
        error = why;
    }

    public void bytesToWorkspace(long count) {
        bytesIn += count;
        workspaceBytes().toWorkspace(count);
    }

    public void bytesToClient(long count) {
        bytesOut += count;
        workspaceBytes().toClient(count);
    }

    private GatewayMetrics.WorkspaceBytes workspaceBytes() {
        if (bytes == null) {
            bytes = metrics.bytesOf(workspace);
        }
        return bytes;
    }

    /** The request became a WebSocket tunnel; it is logged again, with its totals, when it closes. */
    public void becameTunnel() {
        tunnel = true;
        metrics.tunnelOpened(workspace);
    }

    public String workspace() {
        return workspace;
    }

    /** Ends the exchange once: metrics and one access-log line. */
    public void finish() {
        if (finished) {
            return;
        }
        finished = true;
        long total = System.nanoTime() - startNanos;
        if (tunnel) {
            metrics.tunnelClosed(workspace);
        } else {
            metrics.requestFinished(status, answeredByGateway, total);
        }
        if (accessLog.isInfoEnabled()) {
            accessLog.info("client={} principal={} method={} path=\"{}\" workspace={} port={} status={} answered_by={}"
                            + " error={} bytes_in={} bytes_out={} duration_ms={} upstream_head_ms={} tunnel={}",
                    client.getAddress().getHostAddress(), escape(principal), method, escape(path), workspace, port, status,
                    answeredByGateway ? "gateway" : "workspace", error, bytesIn, bytesOut, total / 1_000_000,
                    responseHeadNanos < 0 ? "-" : Long.toString(responseHeadNanos / 1_000_000), tunnel);
        }
    }

    private static String escape(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 200));
        for (int i = 0; i < value.length() && i < 200; i++) {
            char c = value.charAt(i);
            out.append(c == '"' || c == '\\' || c < 0x20 || c > 0x7e ? '?' : c);
        }
        return out.toString();
    }
}
