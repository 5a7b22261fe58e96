package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for every open HTTP/2 header block (issue 17, item 2): a HEADERS (or PUSH_PROMISE)
 * frame without END_HEADERS must be followed by CONTINUATION frames up to one with END_HEADERS
 * within {@code timeouts.requestHead}, however many bytes trickle in, or the connection is closed
 * at once with GOAWAY (ENHANCE_YOUR_CALM) — not gracefully: nothing more can arrive for its open
 * streams, so there is nothing to wait for. No other frame may come in between (RFC 9113 §6.10), so a block that never ends stalls
 * the whole connection, the streams already open on it included; {@link Http2ConnectionDeadlines}
 * covers only connections without an open stream.
 *
 * <p>Netty decodes a header block only once it is complete and offers no hook inside one, so this
 * handler sits before the frame codec and reads the frame headers (RFC 9113 §4.1) as the bytes go
 * by, skipping payloads without copying them: nine bytes looked at per frame.
 */
final class Http2HeaderBlockDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2HeaderBlockDeadline.class);
    private static final int CLIENT_PREFACE_LENGTH = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final int HEADERS = 0x1;
    private static final int PUSH_PROMISE = 0x5;
    private static final int CONTINUATION = 0x9;
    private static final int END_HEADERS = 0x4;

    private static final int GOAWAY = 0x7;

    private final Http2Connection connection;
    private final Duration limit;
    private final GatewayMetrics metrics;
    private int prefaceLeft = CLIENT_PREFACE_LENGTH;
    private final byte[] frameHeader = new byte[FRAME_HEADER_LENGTH];
    private int frameHeaderFilled;
    private long payloadLeft;
    private ScheduledFuture<?> deadline;

    Http2HeaderBlockDeadline(Http2Connection connection, Duration limit, GatewayMetrics metrics) {
        this.connection = requireNonNull(connection, "connection");
        this.limit = requireNonNull(limit, "limit");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf bytes) {
            scan(ctx, bytes);
        }
        ctx.fireChannelRead(msg);
    }

    private void scan(ChannelHandlerContext ctx, ByteBuf bytes) {
        int at = bytes.readerIndex();
        int end = bytes.writerIndex();
        while (at < end) {
            if (prefaceLeft > 0) {
                int skipped = Math.min(prefaceLeft, end - at);
                prefaceLeft -= skipped;
                at += skipped;
            } else if (payloadLeft > 0) {
                int skipped = (int) Math.min(payloadLeft, end - at);
                payloadLeft -= skipped;
                at += skipped;
            } else {
                frameHeader[frameHeaderFilled++] = bytes.getByte(at++);
                if (frameHeaderFilled == FRAME_HEADER_LENGTH) {
                    frameHeaderFilled = 0;
                    onFrameHeader(ctx);
                }
            }
        }
    }

    private void onFrameHeader(ChannelHandlerContext ctx) {
        payloadLeft = ((frameHeader[0] & 0xffL) << 16) | ((frameHeader[1] & 0xff) << 8) | (frameHeader[2] & 0xff);
        int type = frameHeader[3] & 0xff;
        boolean endHeaders = (frameHeader[4] & END_HEADERS) != 0;
        if ((type == HEADERS || type == PUSH_PROMISE) && !endHeaders && deadline == null) {
            deadline = ctx.executor().schedule(() -> {
                log.debug("closing HTTP/2 connection {}: a header block stayed open for {}", ctx.channel().remoteAddress(),
                        limit);
                metrics.http2DeadlineClosed("header_block");
                goAwayAndClose(ctx);
            }, limit.toNanos(), TimeUnit.NANOSECONDS);
        } else if (type == CONTINUATION && endHeaders) {
            cancel();
        }
    }

    /**
     * Written here, below the frame codec, because the codec's own close is graceful: it would wait
     * for the open streams, which the stalled header block keeps from ever getting another frame.
     */
    private void goAwayAndClose(ChannelHandlerContext ctx) {
        ByteBuf goAway = ctx.alloc().buffer(FRAME_HEADER_LENGTH + 8);
        goAway.writeMedium(8).writeByte(GOAWAY).writeByte(0).writeInt(0); // length, type, flags, stream 0
        goAway.writeInt(Math.max(0, connection.remote().lastStreamCreated()));
        goAway.writeInt((int) Http2Error.ENHANCE_YOUR_CALM.code());
        ctx.writeAndFlush(goAway).addListener(ChannelFutureListener.CLOSE);
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
