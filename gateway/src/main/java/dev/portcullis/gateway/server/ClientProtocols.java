package dev.portcullis.gateway.server;

import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.proxy.Drain;
import dev.portcullis.gateway.proxy.PipelineNames;
import dev.portcullis.gateway.proxy.ProxyFrontendHandler;
import dev.portcullis.gateway.proxy.ProxySettings;
import dev.portcullis.gateway.proxy.ServerHttpCodec;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/**
 * After the TLS handshake, builds the rest of the client pipeline for the protocol ALPN chose.
 * HTTP/1.1: the strict codec and the proxy. HTTP/2: the frame codec and a child channel per
 * stream, each with its own HTTP/1.1-shaped view of the stream and its own proxy handler, so a
 * stream is proxied exactly like an HTTP/1.1 request (one workspace connection per stream).
 */
final class ClientProtocols extends ApplicationProtocolNegotiationHandler {
    private final ProxySettings proxy;
    private final int listenerPort;
    private final HttpDecoderConfig decoderConfig;
    private final int maxConcurrentStreams;
    private final GatewayMetrics metrics;
    private final StrictTransportSecurity hsts;

    /** @param hsts sets Strict-Transport-Security on every response; null for none */
    ClientProtocols(ProxySettings proxy, int listenerPort, HttpDecoderConfig decoderConfig, int maxConcurrentStreams,
                    GatewayMetrics metrics, StrictTransportSecurity hsts) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.proxy = proxy;
        this.listenerPort = listenerPort;
        this.decoderConfig = decoderConfig;
        this.maxConcurrentStreams = maxConcurrentStreams;
        this.metrics = metrics;
        this.hsts = hsts;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read(); // connections do not read on their own (AUTO_READ off): ask for the ClientHello
        super.channelActive(ctx);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            // Streams are flow-controlled one by one (their channels read on demand); the connection
            // itself must keep reading or no stream would ever see its frames.
            ctx.channel().config().setAutoRead(true);
            Http2FrameCodec codec = ClientHttp2Codec.forServer()
                    .initialSettings(Http2Settings.defaultSettings()
                            .maxConcurrentStreams(maxConcurrentStreams)
                            .maxHeaderListSize(GatewayServer.MAX_HEADER_BLOCK))
                    .validateHeaders(true)
                    .build();
            int maxHeaderFields = proxy.limits().maxHeaderFields();
            ctx.pipeline()
                    .addLast(PipelineNames.H2_HEADER_BLOCK_DEADLINE, new Http2HeaderBlockDeadline(codec, proxy.timeouts().requestHead(), metrics))
                    .addLast(PipelineNames.H2_CODEC, codec)
                    .addLast(PipelineNames.H2_DEADLINES, new Http2ConnectionDeadlines(codec.connection(),
                            proxy.timeouts().requestHead(), proxy.timeouts().http2Idle(), metrics))
                    .addLast(PipelineNames.H2_STREAMS, new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                        @Override
                        protected void initChannel(Http2StreamChannel stream) {
                            stream.config().setAutoRead(false);
                            stream.pipeline()
                                    .addLast(PipelineNames.H2_REQUEST_CHECK, new Http2RequestHeadCheck(maxHeaderFields))
                                    .addLast(PipelineNames.H2_STREAM_CODEC, new Http2StreamFrameToHttpObjectCodec(true));
                            addHsts(stream.pipeline());
                            stream.pipeline().addLast(PipelineNames.PROXY, new ProxyFrontendHandler(proxy, listenerPort));
                        }
                    }))
                    .addLast(PipelineNames.H2_DRAIN, new GoAwayOnDrain());
            return;
        }
        ctx.pipeline().addLast(PipelineNames.HTTP_CODEC, new ServerHttpCodec(decoderConfig, proxy.limits().maxHeaderFields()));
        addHsts(ctx.pipeline());
        ctx.pipeline().addLast(PipelineNames.PROXY, new ProxyFrontendHandler(proxy, listenerPort));
    }

    private void addHsts(ChannelPipeline pipeline) {
        if (hsts != null) {
            pipeline.addLast(PipelineNames.HSTS, hsts);
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        metrics.handshakeFailed();
        ctx.close();
    }

    /** On shutdown, closing an HTTP/2 connection sends GOAWAY and lets its open streams finish. */
    private static final class GoAwayOnDrain extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == Drain.EVENT) {
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(event);
        }
    }
}
