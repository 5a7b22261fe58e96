package dev.portcullis.gateway.server;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;

/**
 * After the TLS handshake, has the {@link PipelineConfigurator} build the rest of the client
 * pipeline for the protocol ALPN chose (HTTP/1.1 when the client offered none).
 */
final class ClientProtocols extends ApplicationProtocolNegotiationHandler {
    private final PipelineConfigurator pipelines;
    private final int listenerPort;
    private final GatewayMetrics metrics;

    ClientProtocols(PipelineConfigurator pipelines, int listenerPort, GatewayMetrics metrics) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.pipelines = pipelines;
        this.listenerPort = listenerPort;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read(); // connections do not read on their own (AUTO_READ off): ask for the ClientHello
        super.channelActive(ctx);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            pipelines.http2(ctx.channel(), listenerPort);
        } else {
            pipelines.http1(ctx.pipeline(), listenerPort);
        }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        metrics.handshakeFailed();
        ctx.close();
    }
}
