package dev.portcullis.gateway.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.ssl.SslHandler;

/**
 * The pipeline steps the proxy takes itself, by the names in {@link PipelineNames}: a connection
 * to a workspace, and the switch of both sides to a tunnel. They live here, not in
 * {@code server/PipelineConfigurator} (which builds the client pipelines and calls into this
 * package), so the dependency between the two packages points one way: server → proxy.
 */
final class ProxyPipelines {
    private ProxyPipelines() {}

    /**
     * A new connection to a workspace port: TLS when the port serves it ({@code tls} null when
     * not), the HTTP/1.1 client codec, then {@code responses}, which relays the workspace's answers.
     */
    static void upstream(Channel channel, SslHandler tls, ChannelHandler responses) {
        if (tls != null) {
            channel.pipeline().addLast(PipelineNames.UPSTREAM_TLS, tls);
        }
        channel.pipeline()
                .addLast(PipelineNames.UPSTREAM_CODEC, new HttpClientCodec())
                .addLast(PipelineNames.UPSTREAM, responses);
    }

    /**
     * Both sides of an accepted upgrade leave HTTP at once, on the client's event loop (which is the
     * workspace connection's): the relays take the proxy's and the response handler's places, then
     * the codecs go, so no byte after the {@code 101} is parsed as HTTP on either side.
     */
    static void switchToTunnel(ChannelPipeline client, ChannelHandler proxy, ChannelHandler clientRelay,
                               ChannelPipeline workspace, ChannelHandler workspaceRelay) {
        client.replace(proxy, PipelineNames.RELAY, clientRelay);
        client.remove(PipelineNames.HTTP_CODEC);
        workspace.replace(PipelineNames.UPSTREAM, PipelineNames.RELAY, workspaceRelay);
        workspace.remove(PipelineNames.UPSTREAM_CODEC);
    }
}
