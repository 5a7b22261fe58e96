package dev.portcullis.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.ArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 without a channel per stream (issue 15, item 3): after the frame codec, this one handler
 * takes every stream's frames and feeds each stream's {@link ProxyExchange} through an {@link
 * Http2ClientStream}, so a stream costs no child channel, no pipeline of its own and no HTTP/2 ↔
 * HTTP/1.1 codec in between; the request head is converted once, to the HTTP/1.1 head the
 * workspace gets. It also makes the checks of a request head that Netty does not make
 * ({@link Http2RequestHeads}).
 */
public final class Http2Streams extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Http2Streams.class);

    private final ProxySettings settings;
    // What the streams of this connection share on their way to workspaces.
    private final ConnectionForwarding forwarding;
    private final Consumer<HttpHeaders> responseHeaders;
    private final Http2Connection connection;
    private final IntObjectMap<Http2ClientStream> streams = new IntObjectHashMap<>();

    /** @param responseHeaders sets what the gateway adds to every response (Strict-Transport-Security) */
    public Http2Streams(Http2Connection connection, ProxySettings settings, int listenerPort,
                        Consumer<HttpHeaders> responseHeaders) {
        this.connection = requireNonNull(connection, "connection");
        this.settings = requireNonNull(settings, "settings");
        this.forwarding = new ConnectionForwarding(listenerPort);
        this.responseHeaders = requireNonNull(responseHeaders, "responseHeaders");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (msg) {
            case Http2HeadersFrame headers -> headers(ctx, headers);
            case Http2DataFrame data -> {
                Http2ClientStream stream = streams.get(data.stream().id());
                if (stream == null) {
                    giveBack(ctx, data.stream(), data.initialFlowControlledBytes());
                    data.release();
                } else {
                    stream.data(data.content(), data.isEndStream(), data.initialFlowControlledBytes());
                }
            }
            case Http2ResetFrame reset -> {
                Http2ClientStream stream = streams.get(reset.stream().id());
                if (stream != null) {
                    stream.reset(reset.errorCode()); // the stream closes right after
                }
            }
            default -> ReferenceCountUtil.release(msg); // SETTINGS, PING, GOAWAY, WINDOW_UPDATE: the codec acted on them
        }
    }

    private void headers(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        int id = frame.stream().id();
        Http2ClientStream stream = streams.get(id);
        try {
            if (stream != null) {
                stream.trailers(frame.headers());
                return;
            }
            String missing = Http2RequestHeads.missingPseudoHeader(frame.headers());
            if (missing != null) {
                throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR, "malformed request: %s", missing);
            }
            if (Http2RequestHeads.regularFields(frame.headers()) > settings.limits().maxHeaderFields()) {
                Http2Headers tooMany = new DefaultHttp2Headers()
                        .status(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.codeAsText());
                ctx.writeAndFlush(new DefaultHttp2HeadersFrame(tooMany, true).stream(frame.stream()))
                        .addListener((ChannelFutureListener) done -> resetIfOpen(ctx, frame.stream(),
                                done.isSuccess() ? Http2Error.NO_ERROR : Http2Error.CANCEL));
                return;
            }
            stream = new Http2ClientStream(ctx, connection, frame.stream(), settings, forwarding, responseHeaders);
            streams.put(id, stream);
            stream.head(frame.headers(), frame.isEndStream());
        } catch (Exception e) {
            Http2Exception protocolError = Http2CodecUtil.getEmbeddedHttp2Exception(e);
            Http2Error error = protocolError != null ? protocolError.error() : Http2Error.PROTOCOL_ERROR;
            if (stream != null) {
                stream.failed(e, error);
            } else {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(error).stream(frame.stream()));
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof Http2FrameStreamEvent streamEvent
            && streamEvent.stream().state() == Http2Stream.State.CLOSED) {
            Http2ClientStream stream = streams.remove(streamEvent.stream().id());
            if (stream != null) {
                stream.closed();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException streamError) {
            // A broken stream (content-length against DATA, say): reset with the error's own code (RFC 9113 §5.4.2).
            Http2ClientStream stream = streams.get(streamError.stream().id());
            log.debug("HTTP/2 stream {} of {} failed", streamError.stream().id(), ctx.channel().remoteAddress(), cause);
            if (stream != null) {
                stream.failed(streamError.getCause(), streamError.error());
            } else {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(streamError.error()).stream(streamError.stream()));
            }
            return;
        }
        ctx.fireExceptionCaught(cause); // a connection error: the codec sends GOAWAY, the connection's last handler logs it
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (Http2ClientStream stream : new ArrayList<>(streams.values())) {
            stream.closed();
        }
        streams.clear();
        ctx.fireChannelInactive();
    }

    /** DATA for a stream the gateway no longer serves: its bytes go back to the connection's window. */
    private static void giveBack(ChannelHandlerContext ctx, Http2FrameStream stream, int bytes) {
        if (bytes > 0 && stream.state() != Http2Stream.State.CLOSED) {
            ctx.write(new DefaultHttp2WindowUpdateFrame(bytes).stream(stream));
        }
    }

    /** NO_ERROR after a complete answer to a request still coming (RFC 9113 §8.1), CANCEL otherwise. */
    private static void resetIfOpen(ChannelHandlerContext ctx, Http2FrameStream stream, Http2Error error) {
        if (stream.state() != Http2Stream.State.CLOSED) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(error).stream(stream));
        }
    }
}
