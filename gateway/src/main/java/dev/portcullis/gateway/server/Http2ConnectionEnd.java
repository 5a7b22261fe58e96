package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.proxy.Drain;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/2 connection. On shutdown ({@link Drain#EVENT}) it closes the
 * connection, which sends GOAWAY and lets the open streams finish. And it ends every error that
 * reaches it: the frame codec has already answered a client's protocol error (GOAWAY with the
 * error's code, then the close), so what is left is to count it and log one line — without this,
 * each one reached the end of the pipeline and Netty logged it as an unhandled WARN with a stack
 * trace (58 in one h2spec run). Only an error that is neither the client's protocol error nor an
 * I/O error (a bug) keeps its stack trace.
 */
final class Http2ConnectionEnd extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2ConnectionEnd.class);

    private final GatewayMetrics metrics;

    Http2ConnectionEnd(GatewayMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == Drain.EVENT) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Http2Exception protocolError = Http2CodecUtil.getEmbeddedHttp2Exception(cause);
        if (protocolError != null) {
            String code = protocolError.error().name().toLowerCase(Locale.ROOT);
            metrics.http2ConnectionError(code);
            log.info("HTTP/2 connection {} ended: {} ({})", ctx.channel().remoteAddress(), code,
                    protocolError.getMessage());
        } else if (cause instanceof IOException) {
            metrics.http2ConnectionError("io");
            log.debug("HTTP/2 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            metrics.http2ConnectionError("internal");
            log.warn("HTTP/2 connection {} failed", ctx.channel().remoteAddress(), cause);
        }
        // No close here: the frame codec fires a protocol error before it sends GOAWAY with the
        // error's code and closes; closing now would send GOAWAY NO_ERROR first (h2spec 6.9.1/2).
    }
}
