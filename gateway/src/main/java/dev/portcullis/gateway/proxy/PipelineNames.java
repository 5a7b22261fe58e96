package dev.portcullis.gateway.proxy;

/** Names of the handlers in client and upstream pipelines, so the pipeline can be read from one place. */
public final class PipelineNames {
    /** Client side: idle timer, TLS, HTTP/1.1, then the proxy; after an upgrade the relay replaces the last two. */
    public static final String IDLE = "idle";
    public static final String TLS = "tls";
    public static final String HTTP_CODEC = "http-codec";
    public static final String PROXY = "proxy";
    public static final String RELAY = "relay";

    /** Upstream side: HTTP/1.1 client codec, then the response relay; after an upgrade only the relay. */
    public static final String UPSTREAM_CODEC = "upstream-codec";
    public static final String UPSTREAM = "upstream";

    private PipelineNames() {}
}
