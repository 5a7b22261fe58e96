package dev.portcullis.gateway.server;

import static io.netty.handler.codec.http2.Http2CodecUtil.getEmbeddedHttp2Exception;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.logging.LogLevel;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * Netty's server-side HTTP/2 frame codec, with the rules of RFC 9113 §5.1 that Netty leaves loose.
 * Netty forgets a stream once it is closed, so a frame on any stream it no longer knows becomes a
 * stream error (STREAM_CLOSED): "the lesser of the two errors", as its decoder says. The RFC asks
 * for connection errors in two of those cases, and this codec remembers enough recent streams to
 * tell them apart:
 * <ul>
 *   <li>a stream id lower than one already used that was never opened (§5.1.1: PROTOCOL_ERROR);
 *   <li>a frame after the client ended the stream and the stream closed without a reset from the
 *       gateway (§5.1, "closed": STREAM_CLOSED).
 * </ul>
 * HEADERS on a stream the client ended but the gateway has not answered yet (half-closed) is a
 * stream error STREAM_CLOSED too (§5.1, "half-closed (remote)"; Netty says PROTOCOL_ERROR).
 * A frame on a stream the gateway reset stays a stream error: the client may not have seen the
 * reset yet. Streams older than the remembered window keep Netty's answer. And every stream error
 * on a stream that is still open ends in a reset with the error's own code, also when the stream's
 * channel had already closed.
 */
final class ClientHttp2Codec extends Http2FrameCodec {
    /** How many recent client streams are remembered; a power of two. */
    private static final int REMEMBERED_STREAMS = 1024;
    private static final byte UNKNOWN = 0;
    private static final byte NEVER_OPENED = 1;
    private static final byte OPENED = 2;
    private static final byte CLOSED_BY_END_STREAM = 3;
    private static final byte RESET_BY_GATEWAY = 4;

    // A ring of the latest client streams, indexed by (id / 2): client stream ids are odd and rise.
    private final int[] streamIds = new int[REMEMBERED_STREAMS];
    private final byte[] streamStates = new byte[REMEMBERED_STREAMS];
    // The stream of the HEADERS frame being decoded when the client had already ended that stream; else 0.
    private int headersAfterClientEnd;

    private ClientHttp2Codec(Http2ConnectionEncoder encoder, Http2ConnectionDecoder decoder, Http2Settings settings,
                             boolean decoupleCloseAndGoAway, boolean flushPreface) {
        super(encoder, decoder, settings, decoupleCloseAndGoAway, flushPreface);
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamAdded(Http2Stream stream) {
                remember(stream.id(), OPENED);
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                remember(stream.id(), stream.isResetSent() ? RESET_BY_GATEWAY : CLOSED_BY_END_STREAM);
            }
        });
    }

    /** The builder: Netty's, with every option it offers, building this codec. */
    static Builder forServer() {
        return new Builder();
    }

    static final class Builder extends Http2FrameCodecBuilder {
        private final HeadersObserver observer = new HeadersObserver();

        private Builder() {
            server(true);
            frameLogger(observer);
        }

        @Override
        protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                        Http2Settings initialSettings) {
            ClientHttp2Codec codec = new ClientHttp2Codec(encoder, decoder, initialSettings, decoupleCloseAndGoAway(),
                    flushPreface());
            codec.gracefulShutdownTimeoutMillis(gracefulShutdownTimeoutMillis());
            observer.codec = codec;
            return codec;
        }
    }

    /**
     * Netty's frame logger is its one hook that sees a frame before the decoder acts on it; this one
     * logs only at TRACE and notes HEADERS arriving on a stream the client had already ended. Netty
     * calls those "too many headers" (PROTOCOL_ERROR); RFC 9113 §5.1 says STREAM_CLOSED.
     */
    private static final class HeadersObserver extends Http2FrameLogger {
        private ClientHttp2Codec codec;

        HeadersObserver() {
            super(LogLevel.TRACE, ClientHttp2Codec.class);
        }

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int padding, boolean endStream) {
            observe(direction, streamId);
            super.logHeaders(direction, ctx, streamId, headers, padding, endStream);
        }

        @Override
        public void logHeaders(Direction direction, ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                               int streamDependency, short weight, boolean exclusive, int padding, boolean endStream) {
            observe(direction, streamId);
            super.logHeaders(direction, ctx, streamId, headers, streamDependency, weight, exclusive, padding, endStream);
        }

        private void observe(Direction direction, int streamId) {
            if (direction == Direction.INBOUND && codec != null) {
                Http2Stream stream = codec.connection().stream(streamId);
                codec.headersAfterClientEnd = stream != null
                        && (stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE
                            || stream.state() == Http2Stream.State.CLOSED) ? streamId : 0;
            }
        }
    }

    private void remember(int streamId, byte state) {
        int slot = (streamId >>> 1) & (REMEMBERED_STREAMS - 1);
        streamIds[slot] = streamId;
        streamStates[slot] = state;
    }

    /** What is known of a client stream Netty no longer holds. */
    private byte stateOf(int streamId) {
        int newest = connection().remote().lastStreamCreated();
        if (streamId > newest || newest - streamId >= 2 * REMEMBERED_STREAMS) {
            return UNKNOWN;
        }
        int slot = (streamId >>> 1) & (REMEMBERED_STREAMS - 1);
        return streamIds[slot] == streamId ? streamStates[slot] : NEVER_OPENED;
    }

    @Override
    public void onError(ChannelHandlerContext ctx, boolean outbound, Throwable cause) {
        Http2Exception error = getEmbeddedHttp2Exception(cause);
        if (!outbound && error instanceof Http2Exception.StreamException streamError
                && streamError.streamId() == headersAfterClientEnd && streamError.error() != Http2Error.STREAM_CLOSED) {
            headersAfterClientEnd = 0;
            error = Http2Exception.streamError(streamError.streamId(), Http2Error.STREAM_CLOSED, cause,
                    "HEADERS on stream %d after the client ended it", streamError.streamId());
            cause = error;
        }
        if (!outbound && error instanceof Http2Exception.StreamException streamError
                && streamError.error() == Http2Error.STREAM_CLOSED
                && streamError.streamId() % 2 == 1
                && connection().stream(streamError.streamId()) == null) {
            int streamId = streamError.streamId();
            byte state = stateOf(streamId);
            if (state == NEVER_OPENED) {
                super.onError(ctx, false, Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR,
                        "Stream %d was never opened and its id is lower than stream %d's", streamId,
                        connection().remote().lastStreamCreated()));
                return;
            }
            if (state == CLOSED_BY_END_STREAM) {
                super.onError(ctx, false, Http2Exception.connectionError(Http2Error.STREAM_CLOSED,
                        "A frame on stream %d after it was ended", streamId));
                return;
            }
        }
        super.onError(ctx, outbound, cause);
        if (!outbound && error instanceof Http2Exception.StreamException streamError) {
            // Netty hands a stream error on a stream it tracks down the pipeline, where proxy/Http2Streams
            // resets the stream with the error's code; for a stream Netty no longer tracks, nobody would.
            Http2Stream stream = connection().stream(streamError.streamId());
            if (stream != null && !stream.isResetSent()) {
                resetStream(ctx, stream.id(), streamError.error().code(), ctx.newPromise());
                ctx.flush();
            }
        }
    }
}
