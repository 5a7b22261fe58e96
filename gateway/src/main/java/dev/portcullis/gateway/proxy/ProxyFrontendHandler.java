package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one proxied HTTP/1.1 connection, as thin as it can be, and the {@link
 * ClientSide} its {@link ProxyExchange} reads, writes and ends requests through. It reads (on
 * demand: AUTO_READ is off), feeds each request to the connection's {@link ProxyExchange}, and
 * keeps what belongs to the connection rather than to a request — the request-head deadline,
 * pipelined requests (served one at a time, in order, the next once the previous response ended),
 * the drain at shutdown and the idle timeout. HTTP/2 streams have {@link Http2ClientStream}.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter implements ClientSide {
    private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);

    private final ProxySettings settings;
    private final int listenerPort;
    private ChannelHandlerContext ctx;
    private ProxyExchange exchange;
    private boolean started;
    // Pipelined requests decoded from the same read as the current one; handled after its response.
    private final Queue<Object> pipelined = new ArrayDeque<>();
    private boolean draining;
    // The connection became a WebSocket tunnel (read by a revocation, from any thread).
    private volatile boolean tunnel;
    private ScheduledFuture<?> requestHeadDeadline;

    public ProxyFrontendHandler(ProxySettings settings, int listenerPort) {
        this.settings = settings;
        this.listenerPort = listenerPort;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        exchange = new ProxyExchange(this, settings, new ConnectionForwarding(listenerPort));
        if (ctx.channel().isActive()) {
            start(); // added after the TLS handshake, to a connection that is already active
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(); // added before the connection was active: reads once it is
        ctx.fireChannelActive();
    }

    private void start() {
        if (!started) {
            started = true;
            armRequestHeadDeadline();
            ctx.read();
        }
    }

    @Override
    public boolean isHttp2Stream() {
        return false;
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    @Override
    public Channel connection() {
        return ctx.channel();
    }

    /** The connection's access ended: it closes; a tunnel ends with a close frame the app can read (code and reason). */
    @Override
    public void revoke(String reason) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> revoke(reason));
            return;
        }
        exchange.revoked(reason);
        Channel channel = ctx.channel();
        if (tunnel) {
            ByteRelayHandler.closeWithFrame(channel, reason.startsWith("workspace-") ? 1001 : 1008, reason);
        } else {
            channel.close();
        }
    }

    @Override
    public boolean isActive() {
        return ctx.channel().isActive();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void whenClosed(Runnable whenClosed) {
        ctx.channel().closeFuture().addListener(closed -> whenClosed.run());
    }

    @Override
    public void read() {
        ctx.read();
    }

    @Override
    public void readThrough(BandwidthGate gate) {
        gate.read(ctx);
    }

    @Override
    public ChannelFuture write(HttpObject part) {
        return ctx.writeAndFlush(part);
    }

    @Override
    public ChannelFuture writePart(HttpObject part) {
        return ctx.write(part);
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void close() {
        ctx.close();
    }

    @Override
    public void switchToTunnel(ChannelHandler clientRelay, ChannelPipeline workspace, ChannelHandler workspaceRelay) {
        tunnel = true;
        ProxyPipelines.switchToTunnel(ctx.pipeline(), this, clientRelay, workspace, workspaceRelay);
    }

    /**
     * An absolute deadline for the next request head: a client that trickles a byte now and then is
     * closed when it passes, which an idle timer (reset by every byte) would never do.
     */
    private void armRequestHeadDeadline() {
        long nanos = settings.timeouts().requestHead().toNanos();
        requestHeadDeadline = ctx.executor().schedule(() -> exchange.answer(ProxyError.REQUEST_HEAD_TIMEOUT,
                "The request head did not arrive within " + settings.timeouts().requestHead().toMillis() + " ms."),
                nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (exchange.phase() == ExchangePhase.ANSWERED) {
            // The gateway answered this request itself and closes after the answer: drop the rest.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (exchange.phase().inProgress() && exchange.requestFullyReceived()) {
            pipelined.add(msg); // bounded: nothing more is read until this response has ended
            return;
        }
        if (msg instanceof HttpRequest && requestHeadDeadline != null) {
            requestHeadDeadline.cancel(false);
            requestHeadDeadline = null;
        }
        if (msg instanceof HttpObject part) {
            exchange.receiveInRead(part, draining); // its writes to the workspace leave at channelReadComplete
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /** One read of the client ended: what its requests' parts wrote to the workspace leaves in one flush. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        exchange.clientReadComplete();
        ctx.fireChannelReadComplete();
    }

    /**
     * The exchange's response ended with {@code lastWrite}: the connection closes after it, or
     * serves the requests already decoded and then reads the next.
     */
    @Override
    public void responseEnded(ChannelFuture lastWrite, boolean close) {
        if (close) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        } else {
            lastWrite.addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                    handlePipelinedOrReadOn();
                }
            });
        }
    }

    /** The gateway answered the request itself with {@code written}; the connection ends after it. */
    @Override
    public void answered(ChannelFuture written) {
        written.addListener(ChannelFutureListener.CLOSE);
    }

    /** Serves requests that were already decoded, in order; reads the client when none is left. */
    private void handlePipelinedOrReadOn() {
        if (!pipelined.isEmpty()) { // rarely: a keep-alive client usually waits for each response
            List<Object> waiting = new ArrayList<>(pipelined);
            pipelined.clear();
            for (Object message : waiting) {
                channelRead(ctx, message);
            }
            exchange.clientReadComplete(); // as at the end of the read that decoded them
        }
        if (exchange.phase() == ExchangePhase.HEAD) {
            armRequestHeadDeadline();
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == Drain.EVENT) {
            draining = true;
            exchange.lastOnConnection(); // the response in flight, if any, is the connection's last
            if (!exchange.phase().inProgress() && pipelined.isEmpty()) {
                ctx.close();
            }
            return;
        }
        if (event instanceof IdleStateEvent) {
            log.debug("closing {} after {} of silence", ctx.channel().remoteAddress(), settings.timeouts().idle());
            exchange.idleTimedOut();
            exchange.closeUpstream();
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (requestHeadDeadline != null) {
            requestHeadDeadline.cancel(false);
        }
        exchange.clientClosed();
        pipelined.forEach(ReferenceCountUtil::release);
        pipelined.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
        exchange.clientFailed(cause);
        ctx.close();
    }
}
