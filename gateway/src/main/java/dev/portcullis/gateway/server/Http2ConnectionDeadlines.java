package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slowloris over HTTP/2: a connection that sends the preface and SETTINGS, PINGs, or a HEADERS
 * frame whose header block never ends holds a connection without ever opening a stream (Netty opens
 * one only when its header block is complete). While an HTTP/2 connection has no open stream, an
 * absolute deadline runs — {@code timeouts.requestHead} for a new connection, {@code
 * timeouts.http2Idle} after its last stream ended — that no frame resets; when it passes, the
 * connection is closed with GOAWAY. Only an open stream stops the clock. The byte-level idle timer
 * ({@code timeouts.idle}) stays for connections whose streams are open but quiet.
 */
final class Http2ConnectionDeadlines extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionDeadlines.class);

    private final Http2Connection connection;
    private final Duration firstRequestHead;
    private final Duration idleWithoutStreams;
    private final GatewayMetrics metrics;
    private ScheduledFuture<?> deadline;

    Http2ConnectionDeadlines(Http2Connection connection, Duration firstRequestHead, Duration idleWithoutStreams,
                             GatewayMetrics metrics) {
        this.connection = requireNonNull(connection, "connection");
        this.firstRequestHead = requireNonNull(firstRequestHead, "firstRequestHead");
        this.idleWithoutStreams = requireNonNull(idleWithoutStreams, "idleWithoutStreams");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx, firstRequestHead, "request_head");
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamAdded(Http2Stream stream) {
                cancel();
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (connection.numActiveStreams() == 0 && ctx.channel().isActive()) {
                    arm(ctx, idleWithoutStreams, "idle");
                }
            }
        });
    }

    private void arm(ChannelHandlerContext ctx, Duration after, String which) {
        cancel();
        deadline = ctx.executor().schedule(() -> {
            if (connection.numActiveStreams() == 0) {
                log.debug("closing HTTP/2 connection {}: no open stream for {} ({})", ctx.channel().remoteAddress(),
                        after, which);
                metrics.http2DeadlineClosed(which);
                ctx.close(); // the frame codec sends GOAWAY first
            }
        }, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}
