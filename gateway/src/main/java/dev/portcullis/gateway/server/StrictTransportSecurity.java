package dev.portcullis.gateway.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;
import java.time.Duration;

/**
 * Sets {@code Strict-Transport-Security} on every response the HTTPS listener sends, the
 * workspace's and the gateway's own (RFC 6797), so a browser that once reached a port over HTTPS
 * never tries it over plain HTTP again. The gateway terminates TLS, so it decides the value: a
 * workspace's own header is replaced (it could otherwise set {@code includeSubDomains} for names
 * it does not own). No {@code includeSubDomains}: port hosts have no subdomains of their own.
 */
@ChannelHandler.Sharable
final class StrictTransportSecurity extends ChannelOutboundHandlerAdapter {
    static final AsciiString HEADER = AsciiString.cached("strict-transport-security");
    // Made once: set on every response as it is, never converted or validated again.
    private final AsciiString value;

    StrictTransportSecurity(Duration maxAge) {
        if (maxAge.isZero() || maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge: " + maxAge + " (expected: > 0; configure none to send no header)");
        }
        this.value = AsciiString.cached("max-age=" + maxAge.toSeconds());
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            setOn(response.headers());
        }
        ctx.write(msg, promise);
    }

    /** Sets the header on a response's headers (HTTP/2 at the connection, which has no pipeline per stream). */
    void setOn(HttpHeaders headers) {
        headers.set(HEADER, value);
    }
}
