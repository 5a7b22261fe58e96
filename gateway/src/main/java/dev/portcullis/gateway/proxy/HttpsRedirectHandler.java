package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.route.PortHost;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The plain-HTTP listener's only answer: {@code 308} to the same URL over HTTPS, for workspace
 * port names this gateway serves. Nothing is ever proxied in the clear.
 */
public final class HttpsRedirectHandler extends ChannelInboundHandlerAdapter {
    private final List<String> baseDomains;
    private final int httpsPort;

    public HttpsRedirectHandler(List<String> baseDomains, int httpsPort) {
        this.baseDomains = List.copyOf(baseDomains);
        this.httpsPort = httpsPort;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest request) {
                ctx.writeAndFlush(answer(ctx, request)).addListener(ChannelFutureListener.CLOSE);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private FullHttpResponse answer(ChannelHandlerContext ctx, HttpRequest request) {
        boolean browser = ErrorResponses.wantsPage(request.headers());
        FullHttpResponse response;
        if (request.decoderResult().isFailure()) {
            response = ErrorResponses.create(ctx.alloc(), ProxyError.MALFORMED_REQUEST, "The request is not valid HTTP/1.1.", browser);
        } else {
            response = switch (PortHost.parse(request.headers().get(HttpHeaderNames.HOST), baseDomains)) {
                case PortHost.WorkspacePort port -> {
                    FullHttpResponse redirect = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.PERMANENT_REDIRECT);
                    String authority = httpsPort == 443 ? port.hostName() : port.hostName() + ":" + httpsPort;
                    redirect.headers()
                            .set(HttpHeaderNames.LOCATION, "https://" + authority + RequestChecks.originForm(request.uri()))
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                    yield redirect;
                }
                case PortHost.Malformed malformed ->
                        ErrorResponses.create(ctx.alloc(), ProxyError.MALFORMED_HOST, malformed.reason(), browser);
                case PortHost.ForeignDomain foreign -> ErrorResponses.create(ctx.alloc(), ProxyError.NOT_SERVED_HERE,
                        "'" + foreign.host() + "' is not under a domain this gateway serves", browser);
            };
        }
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
