package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deadline for every open HTTP/2 header block (issue 17, item 2): a HEADERS frame without
 * END_HEADERS must be followed by CONTINUATION frames up to one with END_HEADERS within {@code
 * timeouts.requestHead}, however many bytes trickle in. No other frame may come in between (RFC
 * 9113 §6.10), so a block that never ends stalls the whole connection, the streams already open on
 * it included; {@link Http2ConnectionDeadlines} covers only connections without an open stream.
 *
 * <p>When the deadline passes, the frame codec sends GOAWAY (ENHANCE_YOUR_CALM, the last stream it
 * took, the reason in words as debug data) and this handler closes the connection at once, below
 * the codec: the codec's own close is graceful and would wait for the open streams, which the
 * stalled block keeps from ever getting another frame. Raising a connection error into the codec
 * would do the same but also hand the error on to the end of the pipeline, where Netty logs every
 * one as a warning with a stack trace: one per attacking connection.
 *
 * <p>Netty's frame reader decodes a header block only once it is complete and offers no hook inside
 * one (its reader is not replaceable through the codec builder, and the frame logger and listener
 * see only complete blocks), so this handler sits before the frame codec and reads the frame
 * headers (RFC 9113 §4.1) as the bytes go by, skipping payloads without copying them: nine bytes
 * looked at per frame.
 */
final class Http2HeaderBlockDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2HeaderBlockDeadline.class);
    private static final int CLIENT_PREFACE_LENGTH = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final int HEADERS = 0x1;
    private static final int CONTINUATION = 0x9;
    private static final int END_HEADERS = 0x4;

    private final Http2ConnectionHandler codec;
    private final Duration limit;
    private final GatewayMetrics metrics;
    private int prefaceLeft = CLIENT_PREFACE_LENGTH;
    private final byte[] frameHeader = new byte[FRAME_HEADER_LENGTH];
    private int frameHeaderFilled;
    private long payloadLeft;
    private ScheduledFuture<?> deadline;

    /** @param codec the frame codec right after this handler */
    Http2HeaderBlockDeadline(Http2ConnectionHandler codec, Duration limit, GatewayMetrics metrics) {
        this.codec = requireNonNull(codec, "codec");
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
        int streamId = ((frameHeader[5] & 0x7f) << 24) | ((frameHeader[6] & 0xff) << 16)
                | ((frameHeader[7] & 0xff) << 8) | (frameHeader[8] & 0xff);
        if (type == HEADERS && !endHeaders && deadline == null) {
            deadline = ctx.executor().schedule(() -> expire(ctx, streamId), limit.toNanos(), TimeUnit.NANOSECONDS);
        } else if (type == CONTINUATION && endHeaders) {
            cancel();
        }
    }

    private void expire(ChannelHandlerContext ctx, int streamId) {
        deadline = null;
        String reason = "the header block of stream " + streamId + " was not finished within " + limit.toMillis()
                + " ms (timeouts.requestHead)";
        log.debug("closing HTTP/2 connection {}: {}", ctx.channel().remoteAddress(), reason);
        metrics.http2DeadlineClosed("header_block");
        ChannelHandlerContext codecContext = ctx.pipeline().context(codec);
        if (codecContext == null) { // the connection is closing and the codec already left
            ctx.close();
            return;
        }
        codec.goAway(codecContext, codec.connection().remote().lastStreamCreated(), Http2Error.ENHANCE_YOUR_CALM.code(),
                        ByteBufUtil.writeUtf8(ctx.alloc(), reason), codecContext.newPromise())
                .addListener(sent -> ctx.close());
        codecContext.flush();
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
