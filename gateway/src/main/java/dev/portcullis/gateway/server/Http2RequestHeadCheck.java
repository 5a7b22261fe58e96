package dev.portcullis.gateway.server;

import dev.portcullis.gateway.proxy.Http2RequestHeads;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Checks of an HTTP/2 request head that Netty does not make, first in each stream's pipeline; it
 * leaves once the head has passed.
 * <ul>
 *   <li>RFC 9113 §8.3.1: a request carries {@code :method}, {@code :scheme} and a non-empty
 *       {@code :path}. Netty's header validation checks each pseudo-header that is present (names,
 *       order, duplicates) but not that these are there; a stream lacking one is malformed and is
 *       reset with PROTOCOL_ERROR (§8.1.1) before anything reads it as a request. (CONNECT, which
 *       omits the last two, is not served by the gateway.)
 *   <li>At most {@code limits.maxHeaderFields} header fields (pseudo-headers not counted), as over
 *       HTTP/1.1: more is answered 431. Netty bounds only their total size.
 * </ul>
 */
final class Http2RequestHeadCheck extends ChannelInboundHandlerAdapter {
    private final int maxHeaderFields;

    Http2RequestHeadCheck(int maxHeaderFields) {
        this.maxHeaderFields = maxHeaderFields;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Http2HeadersFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String missing = Http2RequestHeads.missingPseudoHeader(frame.headers());
        if (missing != null) {
            ReferenceCountUtil.release(msg);
            // Netty's stream channel resets the stream with this error's code when it reaches the pipeline's end.
            ctx.fireExceptionCaught(Http2Exception.streamError(frame.stream().id(), Http2Error.PROTOCOL_ERROR,
                    "malformed request: %s", missing));
            return;
        }
        if (Http2RequestHeads.regularFields(frame.headers()) > maxHeaderFields) {
            ReferenceCountUtil.release(msg);
            Http2Headers tooMany = new DefaultHttp2Headers().status(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.codeAsText());
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(tooMany, true)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }
}
