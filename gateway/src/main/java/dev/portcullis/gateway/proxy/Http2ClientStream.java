package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One HTTP/2 stream as the {@link ClientSide} of its {@link ProxyExchange}, without a channel of
 * its own: {@link Http2Streams} hands it the stream's frames, and it writes the answer as frames on
 * the connection. The request's frames wait here until the exchange asks for them ({@link #read}),
 * and a frame's bytes go back to the client's flow-control window only at the next read — after
 * the exchange wrote them to the workspace — so a slow workspace holds the client by HTTP/2 flow
 * control, as TCP holds an HTTP/1.1 client. The answer's DATA frames complete their writes only
 * when the client's stream window let them out, so the workspace is read again only then.
 */
final class Http2ClientStream implements ClientSide {
    private static final int MAX_DISCARDED_AFTER_ANSWER = 64 * 1024;

    /** A part of the request and the flow-controlled bytes (padding included) its frame carried. */
    private record Pending(HttpObject part, int flowControlledBytes) {}

    private final ChannelHandlerContext ctx;
    private final Http2Connection connection;
    private final Http2FrameStream stream;
    private final ProxySettings settings;
    private final Consumer<HttpHeaders> responseHeaders;
    private final ProxyExchange exchange;
    // Parts of the request that arrived before the exchange asked for them (bounded by the stream's window).
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>(2);
    private boolean readWanted = true; // the head is taken at once
    private boolean delivering;
    // What a bandwidth gate runs to read on, possibly from its scheduler's thread.
    private final Runnable readFromAnyThread = this::readOnLoop;
    // Bytes handed to the exchange whose window goes back at the next read.
    private int unreturnedBytes;
    private boolean streamEnded;
    // The answer's last frame (END_STREAM) was written: once it is sent, the codec closes the stream itself.
    private boolean endStreamWritten;
    private boolean closed;
    private long discardedAfterAnswer;
    // What runs once the stream closed (its grant forgotten, the console's audit stream stopping); made when needed.
    private List<Runnable> onClose;

    Http2ClientStream(ChannelHandlerContext ctx, Http2Connection connection, Http2FrameStream stream, ProxySettings settings,
                      ConnectionForwarding forwarding,
                      Consumer<HttpHeaders> responseHeaders) {
        this.ctx = ctx;
        this.connection = connection;
        this.stream = stream;
        this.settings = settings;
        this.responseHeaders = responseHeaders;
        this.exchange = new ProxyExchange(this, settings, forwarding);
    }

    /** The stream's request head (a whole request when it ended the stream). */
    void head(Http2Headers headers, boolean endStream) throws Exception {
        HttpRequest request = endStream
                ? HttpConversionUtil.toFullHttpRequest(stream.id(), headers, ctx.alloc(), true)
                : HttpConversionUtil.toHttpRequest(stream.id(), headers, true);
        if (!endStream && !HttpUtil.isContentLengthSet(request)) {
            request.headers().set(HttpHeaderNames.TRANSFER_ENCODING,
                    HttpHeaderValues.CHUNKED); // as Netty's stream codec does
        }
        arrived(new Pending(request, 0)); // HEADERS are not flow-controlled
    }

    /** Trailers: the request's last part. */
    void trailers(Http2Headers headers) throws Exception {
        LastHttpContent last = new DefaultLastHttpContent(ctx.alloc().buffer(0), true);
        HttpConversionUtil.addHttp2ToHttpHeaders(stream.id(), headers, last.trailingHeaders(),
                HttpVersion.HTTP_1_1, true, true);
        arrived(new Pending(last, 0));
    }

    /** A DATA frame's bytes (this object now owns them). */
    void data(ByteBuf content, boolean endStream, int flowControlledBytes) {
        HttpContent part = endStream ? new DefaultLastHttpContent(content, true)
                : new DefaultHttpContent(content);
        arrived(new Pending(part, flowControlledBytes));
    }

    /** The client reset the stream. */
    void reset(long errorCode) {
        exchange.clientReset(errorCode);
    }

    /** The codec found the stream broken: no answer may follow, and the stream is reset with {@code error}. */
    void failed(Throwable cause, Http2Error error) {
        exchange.clientFailed(cause);
        resetWith(error);
    }

    /** The stream closed (both ends ended, or a reset): everything the request held is given back. */
    void closed() {
        closed = true;
        exchange.clientClosed();
        if (onClose != null) {
            onClose.forEach(Runnable::run);
            onClose = null;
        }
        Pending pending;
        while ((pending = waiting.poll()) != null) {
            ReferenceCountUtil.release(pending.part());
        }
    }

    private void arrived(Pending pending) {
        if (closed) {
            ReferenceCountUtil.release(pending.part());
            return;
        }
        waiting.add(pending);
        deliverWanted();
    }

    /** Hands waiting parts to the exchange while it wants them; a loop, never a recursion, however small the frames. */
    private void deliverWanted() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            while (readWanted && !waiting.isEmpty() && !closed) {
                readWanted = false;
                Pending next = waiting.poll();
                unreturnedBytes += next.flowControlledBytes();
                deliver(next.part());
            }
        } finally {
            delivering = false;
        }
    }

    /**
     * Hands a part to the exchange; once the gateway answered the request itself, the rest of the
     * stream is read to its end and dropped rather than reset (RFC 9113 §8.1), so the codec still
     * checks it (content-length against DATA, say) and answers a malformed one with PROTOCOL_ERROR.
     * Flow control bounds each read; past {@link #MAX_DISCARDED_AFTER_ANSWER} bytes, or {@code
     * timeouts.requestHead} after the answer, the stream is reset.
     */
    private void deliver(HttpObject part) {
        streamEnded |= part instanceof LastHttpContent;
        if (exchange.phase() == ExchangePhase.ANSWERED) {
            // The gateway answered this request itself: the rest is read and dropped (RFC 9113 §8.1).
            int bytes = part instanceof HttpContent content ? content.content().readableBytes() : 0;
            ReferenceCountUtil.release(part);
            discardedAfterAnswer += bytes;
            if (streamEnded) {
                // Both sides ended it: the codec closes the stream as the answer's END_STREAM leaves. A
                // reset here, while that frame may still wait to be flushed, reached clients after the
                // complete answer (the JDK's client then threw the answer away: CrossOriginRefusalTest).
                if (!endStreamWritten) {
                    close();
                }
            } else if (discardedAfterAnswer > MAX_DISCARDED_AFTER_ANSWER) {
                stopUpload();
            } else {
                read();
            }
            return;
        }
        exchange.receive(part, false);
    }

    @Override
    public void read() {
        if (unreturnedBytes > 0 && !closed && stream.state() != Http2Stream.State.CLOSED) {
            // The bytes handed over before this read were written to the workspace: the client may send as many again.
            ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(unreturnedBytes).stream(stream));
        }
        unreturnedBytes = 0;
        readWanted = true;
        deliverWanted();
    }

    private void readOnLoop() {
        if (ctx.executor().inEventLoop()) {
            read();
        } else {
            ctx.executor().execute(this::read);
        }
    }

    @Override
    public void readThrough(BandwidthGate gate) {
        gate.read(readFromAnyThread);
    }

    @Override
    public ChannelFuture write(HttpObject part) {
        ChannelFuture written = writePart(part);
        flush();
        return written;
    }

    /**
     * Writes a part of the answer as frames without flushing them: a DATA frame waits in the
     * codec's flow controller, a HEADERS frame in the connection's outbound buffer, until {@link #flush}.
     */
    @Override
    public ChannelFuture writePart(HttpObject part) {
        ChannelFuture written = null;
        if (part instanceof HttpResponse response) {
            responseHeaders.accept(response.headers());
            Http2Headers headers = HttpConversionUtil.toHttp2Headers(response, true);
            boolean informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
            boolean nothingFollows = part instanceof FullHttpResponse full && !full.content().isReadable()
                    && full.trailingHeaders().isEmpty();
            endStreamWritten |= nothingFollows && !informational;
            written = ctx.write(new DefaultHttp2HeadersFrame(headers, nothingFollows && !informational).stream(stream));
            if (informational || nothingFollows) {
                if (part instanceof FullHttpResponse full) {
                    full.release();
                }
                return written;
            }
        }
        if (part instanceof LastHttpContent last) {
            boolean trailers = !last.trailingHeaders().isEmpty();
            endStreamWritten = true;
            if (last.content().isReadable() || !trailers) {
                written = ctx.write(new DefaultHttp2DataFrame(last.content(), !trailers).stream(stream));
            } else {
                last.release();
            }
            if (trailers) {
                written = ctx.write(new DefaultHttp2HeadersFrame(
                        HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), true), true).stream(stream));
            }
        } else if (part instanceof HttpContent content) {
            written = ctx.write(new DefaultHttp2DataFrame(content.content(), false).stream(stream));
        }
        return written;
    }

    /** Sends what was written; over the connection's flush consolidation, once for all its streams' bursts of this turn of the event loop. */
    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void close() {
        resetWith(Http2Error.CANCEL);
    }

    private void resetWith(Http2Error error) {
        if (!closed && stream.state() != Http2Stream.State.CLOSED) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(error).stream(stream));
        }
    }

    @Override
    public void responseEnded(ChannelFuture lastWrite, boolean close) {
        if (close) {
            closeAfter(lastWrite);
        }
        // Otherwise the response ended the stream on both sides: nothing more to read.
    }

    @Override
    public void answered(ChannelFuture written) {
        if (!streamEnded) {
            written.addListener(done -> read()); // the rest of the request is read and dropped
            // ...for as long as a request head may take, or a client could hold the stream by never ending it.
            ctx.executor().schedule(this::stopUpload, settings.timeouts().requestHead().toNanos(), TimeUnit.NANOSECONDS);
        } else {
            closeAfter(written);
        }
    }

    /**
     * Ends a stream whose request the gateway stopped reading: NO_ERROR when its complete answer was
     * written (RFC 9113 §8.1: "stop sending, without error"; a client keeps the answer), CANCEL when not.
     */
    private void stopUpload() {
        resetWith(endStreamWritten ? Http2Error.NO_ERROR : Http2Error.CANCEL);
    }

    /**
     * Ends the stream once {@code lastWrite} completed. A complete answer (END_STREAM written) to a
     * client still sending its request gets RST_STREAM NO_ERROR: RFC 9113 §8.1's "stop sending the
     * request, without error", after which a client keeps the answer (with CANCEL, the JDK's client
     * threw it away: "RST_STREAM received Stream cancelled", whenever the reset overtook its body).
     * An answer that did not get out whole is CANCEL. Nothing when the client had ended the stream
     * too: the codec closes it as the frame leaves, and a reset would only follow a complete answer
     * (§5.1: a frame after the stream closed). The codec's own listener on the write may run after
     * this one (the flush can come later than the write), so the stream's state cannot tell yet.
     */
    private void closeAfter(ChannelFuture lastWrite) {
        lastWrite.addListener((ChannelFutureListener) done -> {
            Http2Stream.State state = stream.state();
            boolean clientEnded = streamEnded || state == Http2Stream.State.HALF_CLOSED_REMOTE
                    || state == Http2Stream.State.CLOSED;
            if (!done.isSuccess() || !endStreamWritten) {
                close();
            } else if (!clientEnded) {
                resetWith(Http2Error.NO_ERROR);
            }
        });
    }

    @Override
    public EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) ctx.channel().remoteAddress();
    }

    @Override
    public Channel connection() {
        return ctx.channel();
    }

    /** This stream's access ended: it alone is reset (CANCEL); the connection and its other streams go on. */
    @Override
    public void revoke(String reason) {
        ctx.executor().execute(() -> {
            exchange.revoked(reason);
            close();
        });
    }

    @Override
    public boolean isActive() {
        return !closed && ctx.channel().isActive();
    }

    @Override
    public boolean isWritable() {
        Http2Stream open = connection.stream(stream.id());
        return open != null && ctx.channel().isWritable() && connection.remote().flowController().isWritable(open);
    }

    @Override
    public void whenClosed(Runnable whenClosed) {
        if (closed) {
            whenClosed.run();
            return;
        }
        if (onClose == null) {
            onClose = new ArrayList<>(2);
        }
        onClose.add(whenClosed);
    }

    @Override
    public boolean isHttp2Stream() {
        return true;
    }

    @Override
    public void switchToTunnel(ChannelHandler clientRelay, ChannelPipeline workspace, ChannelHandler workspaceRelay) {
        throw new IllegalStateException("an HTTP/2 stream never becomes a tunnel (stream " + stream.id() + ")");
    }
}
