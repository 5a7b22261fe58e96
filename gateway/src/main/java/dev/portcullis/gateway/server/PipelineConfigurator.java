package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.proxy.Http2Streams;
import dev.portcullis.gateway.proxy.HttpsRedirectHandler;
import dev.portcullis.gateway.proxy.PipelineNames;
import dev.portcullis.gateway.proxy.ProxyFrontendHandler;
import dev.portcullis.gateway.proxy.ProxySettings;
import dev.portcullis.gateway.proxy.ServerHttpCodec;
import dev.portcullis.gateway.tls.ReloadingCertificates;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds every pipeline of the gateway, by the names in {@link PipelineNames}, so the whole shape
 * of a connection can be read in this one class (Armeria's {@code HttpServerPipelineConfigurator}
 * is the model). What each pipeline holds, in order:
 *
 * <pre>
 * client connection   idle → tls (certificate by SNI) → protocols (ALPN, replaced by one of:)
 *   HTTP/1.1          … → http-codec → [hsts] → proxy        after an upgrade: … → [hsts] → relay
 *   HTTP/2            … → h2-header-block-deadline → h2-codec → h2-deadlines → h2-streams → h2-end
 *                     (h2-streams feeds every stream to an exchange of its own: no channel per stream)
 * redirect listener   idle → http-codec → proxy (the 308 to HTTPS)
 * workspace (upstream)  [upstream-tls] → upstream-codec → upstream   after an upgrade: [upstream-tls] → relay
 * </pre>
 *
 * Built once from the config and the services every connection shares. The workspace pipeline and
 * the switch to a tunnel are built by {@code proxy/ProxyPipelines}, by the same names: the proxy,
 * not the server, decides when they happen, and this package depends on the proxy, never back.
 */
final class PipelineConfigurator {
    /** RFC 9112 leaves limits to the server; these match common practice and issue 3's contract. */
    static final int MAX_REQUEST_LINE = 8 * 1024;
    static final int MAX_HEADER_BLOCK = 16 * 1024;
    private static final int MAX_CHUNK = 64 * 1024;
    /** Streams one HTTP/2 connection may have open at once; each holds a workspace connection. */
    static final int MAX_CONCURRENT_STREAMS = 128;

    private final ProxySettings proxy;
    private final ReloadingCertificates certificates;
    private final GatewayMetrics metrics;
    private final StrictTransportSecurity hsts;
    private final List<String> baseDomains;

    /** @param hsts sets Strict-Transport-Security on every response; null for none */
    PipelineConfigurator(ProxySettings proxy, ReloadingCertificates certificates, GatewayMetrics metrics,
                         StrictTransportSecurity hsts) {
        this.proxy = requireNonNull(proxy, "proxy");
        this.certificates = requireNonNull(certificates, "certificates");
        this.metrics = requireNonNull(metrics, "metrics");
        this.hsts = hsts;
        this.baseDomains = proxy.baseDomains();
    }

    /** A client connection just accepted on an HTTPS listener: up to the protocol negotiation. */
    void clientConnection(Channel channel, int listenerPort) {
        channel.pipeline()
                .addLast(PipelineNames.IDLE, new IdleStateHandler(0, 0,
                        proxy.timeouts().idle().toNanos(), TimeUnit.NANOSECONDS))
                // The TLS handshake, ClientHello included, shares the request-head deadline.
                .addLast(PipelineNames.TLS, new SniHandler(certificates, proxy.timeouts().requestHead().toMillis()))
                .addLast(PipelineNames.PROTOCOLS, new ClientProtocols(this, listenerPort, metrics));
    }

    /** ALPN chose HTTP/1.1 (or the client offered nothing): the strict codec, then the proxy. */
    void http1(ChannelPipeline pipeline, int listenerPort) {
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_REQUEST_LINE)
                .setMaxHeaderSize(MAX_HEADER_BLOCK)
                .setMaxChunkSize(MAX_CHUNK);
        pipeline.addLast(PipelineNames.HTTP_CODEC, new ServerHttpCodec(decoder, proxy.limits().maxHeaderFields()));
        addHsts(pipeline);
        pipeline.addLast(PipelineNames.PROXY, new ProxyFrontendHandler(proxy, listenerPort));
    }

    /**
     * ALPN chose HTTP/2: the frame codec, then one handler that takes every stream's frames and feeds
     * each stream's exchange directly (issue 15, item 3), with no channel and no HTTP/1.1 codec per
     * stream; each stream in flight uses a workspace connection of its own.
     */
    void http2(Channel connection, int listenerPort) {
        // Streams are flow-controlled one by one (each gives its window back as its exchange reads);
        // the connection itself must keep reading or no stream would ever see its frames.
        connection.config().setAutoRead(true);
        Http2FrameCodec codec = ClientHttp2Codec.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .maxHeaderListSize(MAX_HEADER_BLOCK))
                .validateHeaders(true)
                .build();
        connection.pipeline()
                .addLast(PipelineNames.H2_HEADER_BLOCK_DEADLINE,
                        new Http2HeaderBlockDeadline(codec, proxy.timeouts().requestHead(), metrics))
                .addLast(PipelineNames.H2_CODEC, codec)
                .addLast(PipelineNames.H2_DEADLINES, new Http2ConnectionDeadlines(codec.connection(),
                        proxy.timeouts().requestHead(), proxy.timeouts().http2Idle(), metrics))
                // Streams flush apart, each at the end of its workspace's read; the connection sends once
                // per turn of the loop for all of them (or at the end of the client's read, during one).
                .addLast(PipelineNames.H2_FLUSH, new FlushConsolidationHandler(
                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true))
                .addLast(PipelineNames.H2_STREAMS, new Http2Streams(codec.connection(), proxy, listenerPort,
                        hsts == null ? headers -> { } : hsts::setOn))
                .addLast(PipelineNames.H2_END, new Http2ConnectionEnd(metrics));
    }

    private void addHsts(ChannelPipeline pipeline) {
        if (hsts != null) {
            pipeline.addLast(PipelineNames.HSTS, hsts);
        }
    }

    /** A connection to a plain-HTTP listener: every request is answered with a redirect to {@code httpsPort}. */
    void redirectConnection(Channel channel, int httpsPort) {
        channel.pipeline()
                .addLast(PipelineNames.IDLE, new IdleStateHandler(0, 0,
                        proxy.timeouts().requestHead().toNanos(), TimeUnit.NANOSECONDS))
                .addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEADER_BLOCK, MAX_CHUNK))
                .addLast(PipelineNames.PROXY, new HttpsRedirectHandler(baseDomains, httpsPort));
    }
}
