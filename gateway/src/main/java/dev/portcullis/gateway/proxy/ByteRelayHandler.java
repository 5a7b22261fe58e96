package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.observe.Exchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Relays raw bytes to a peer channel once both sides left HTTP (an upgraded WebSocket). The next
 * read is requested only when the previous write completed, so a slow peer holds at most one read.
 */
final class ByteRelayHandler extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final Exchange tunnel;
    private final boolean towardWorkspace;
    private final BandwidthGate gate;
    // Workspace-to-client only: where the workspace's WebSocket frames end.
    private final WebSocketFrameBoundary frames;

    /**
     * @param peer             where the bytes read here go
     * @param tunnel           the exchange that became this tunnel; counts the bytes, ends with the tunnel
     * @param towardWorkspace  whether this side relays the client's bytes to the workspace
     * @param gate             this direction's share of the workspace's bandwidth; closed with the tunnel
     */
    ByteRelayHandler(Channel peer, Exchange tunnel, boolean towardWorkspace, BandwidthGate gate) {
        this.peer = peer;
        this.tunnel = tunnel;
        this.towardWorkspace = towardWorkspace;
        this.gate = gate;
        this.frames = towardWorkspace ? null : new WebSocketFrameBoundary();
    }

    /**
     * Ends a WebSocket tunnel from the client's side: when the workspace's last frame is complete,
     * the workspace connection is closed first (nothing more of it reaches the client), then the
     * client gets a close frame with {@code code} and {@code reason}, then the connection closes.
     * Mid-frame, a close frame would corrupt the stream: the connection just closes.
     * Runs on the client channel's event loop, which is also the workspace channel's.
     */
    static void closeWithFrame(Channel client, int code, String reason) {
        client.eventLoop().execute(() -> {
            if (!(client.pipeline().get(PipelineNames.RELAY) instanceof ByteRelayHandler toWorkspace)
                || !(toWorkspace.peer.pipeline().get(PipelineNames.RELAY) instanceof ByteRelayHandler toClient)
                || !toClient.frames.atBoundary()) {
                client.close();
                return;
            }
            toWorkspace.peer.close();
            byte[] text = reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int length = Math.min(text.length, 123); // a control frame's payload is at most 125 bytes
            ByteBuf frame = client.alloc().buffer(4 + length);
            frame.writeByte(0x88).writeByte(2 + length).writeShort(code).writeBytes(text, 0, length);
            client.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            // The HTTP decoders hand over an empty end-of-message marker while they are removed.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (towardWorkspace) {
            tunnel.bytesToWorkspace(bytes.readableBytes());
        } else {
            tunnel.bytesToClient(bytes.readableBytes());
        }
        gate.charge(bytes.readableBytes());
        if (frames != null) {
            frames.relayed(bytes);
        }
        peer.writeAndFlush(bytes).addListener((ChannelFutureListener) written -> {
            if (written.isSuccess()) {
                gate.read(ctx);
            } else {
                ctx.channel().close();
            }
        });
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            ctx.close(); // a silent tunnel past the idle timeout; closing one side closes the other
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tunnel.finish();
        gate.close();
        closeAfterFlush(peer);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
