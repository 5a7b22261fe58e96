package dev.portcullis.gateway.proxy;

import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpResponseEncoder;

/** The client side's HTTP/1.1 codec: the strict request decoder and Netty's response encoder. */
public final class ServerHttpCodec extends CombinedChannelDuplexHandler<StrictRequestDecoder, HttpResponseEncoder> {
    /** @param maxHeaderFields header fields one request head may have; more is answered 431 */
    public ServerHttpCodec(HttpDecoderConfig config, int maxHeaderFields) {
        super(new StrictRequestDecoder(config, maxHeaderFields), new HttpResponseEncoder());
    }
}
