package dev.portcullis.gateway.proxy;

/**
 * Names of the handlers in client and upstream pipelines; {@code server/PipelineConfigurator} builds
 * every pipeline by these names, so the pipelines can be read in one place.
 */
public final class PipelineNames {
    /**
     * Client side: idle timer, TLS, protocol negotiation, then for HTTP/1.1 the codec and the proxy
     * (after an upgrade, the relay replaces both), for HTTP/2 the codecs below.
     */
    public static final String IDLE = "idle";
    public static final String TLS = "tls";
    public static final String HTTP_CODEC = "http-codec";
    /** After TLS, the handler that adds the rest of the pipeline for the protocol ALPN chose. */
    public static final String PROTOCOLS = "protocols";
    /**
     * HTTP/2: the deadline of an open header block (it reads frame headers before the codec decodes
     * them), the frame codec, ...
     */
    public static final String H2_HEADER_BLOCK_DEADLINE = "h2-header-block-deadline";
    public static final String H2_CODEC = "h2-codec";
    /** The deadlines of an HTTP/2 connection with no open stream (slowloris). */
    public static final String H2_DEADLINES = "h2-deadlines";
    /**
     * ...the flush consolidation: the streams' flushes of one turn of the event loop (each stream
     * flushes once per read of its workspace connection) leave as one TLS write and one send...
     */
    public static final String H2_FLUSH = "h2-flush";
    /** ...every stream's frames fed to its own exchange ({@link Http2Streams}: no channel per stream)... */
    public static final String H2_STREAMS = "h2-streams";
    /** The HTTP/2 connection's last handler: GOAWAY on drain, and every connection error counted and logged once. */
    public static final String H2_END = "h2-end";
    /** Before the proxy over HTTP/1.1: Strict-Transport-Security on every response (HTTP/2 streams set it themselves). */
    public static final String HSTS = "hsts";
    public static final String PROXY = "proxy";
    public static final String RELAY = "relay";

    /**
     * Upstream side: TLS for a workspace port that serves it, the HTTP/1.1 client codec, then the
     * response relay; after an upgrade the relay replaces the last two.
     */
    public static final String UPSTREAM_TLS = "upstream-tls";
    public static final String UPSTREAM_CODEC = "upstream-codec";
    public static final String UPSTREAM = "upstream";

    private PipelineNames() {}
}
