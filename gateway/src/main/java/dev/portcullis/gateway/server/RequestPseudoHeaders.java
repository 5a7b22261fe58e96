package dev.portcullis.gateway.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * RFC 9113 §8.3.1: a request carries exactly one each of {@code :method}, {@code :scheme} and a
 * non-empty {@code :path}. Netty's header validation checks each pseudo-header that is present
 * (names, order, duplicates) but not that these three are there; a stream lacking one is malformed
 * and reset with PROTOCOL_ERROR (§8.1.1) before anything reads it as a request. (CONNECT, which
 * omits {@code :scheme} and {@code :path}, is not served by the gateway, so it is refused here too.)
 * First in each stream's pipeline; it leaves once the request head has passed.
 */
final class RequestPseudoHeaders extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String missing = missingPseudoHeader(frame.headers());
        if (missing != null) {
            ReferenceCountUtil.release(msg);
            // Netty's stream channel resets the stream with this error's code when it reaches the pipeline's end.
            ctx.fireExceptionCaught(Http2Exception.streamError(frame.stream().id(), Http2Error.PROTOCOL_ERROR,
                    "malformed request: %s", missing));
            return;
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }

    /** What the request head lacks, or null when it has every pseudo-header a request needs. */
    static String missingPseudoHeader(Http2Headers headers) {
        if (headers.method() == null) {
            return "no :method";
        }
        if (headers.scheme() == null) {
            return "no :scheme";
        }
        CharSequence path = headers.path();
        if (path == null || path.isEmpty()) {
            return "no :path or an empty one";
        }
        return null;
    }
}
