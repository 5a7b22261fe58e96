package dev.portcullis.gateway.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client that sends headers exactly as given — no validation, so it can send what a
 * well-behaved client never would — and reports how the gateway ended the stream.
 */
public final class RawHttp2 implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel connection;

    public RawHttp2(Path caFile, int port, String serverName) throws Exception {
        this(caFile, port, serverName, InetAddress.getLoopbackAddress());
    }

    /** A connection from {@code local} (127.0.0.2, say: another client address on the loopback network). */
    public RawHttp2(Path caFile, int port, String serverName, InetAddress local) throws Exception {
        SslContext tls = SslContextBuilder.forClient().trustManager(caFile.toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build();
        connection = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline()
                                .addLast(tls.newHandler(channel.alloc(), serverName, port))
                                .addLast(Http2FrameCodecBuilder.forClient().validateHeaders(false).build())
                                .addLast(new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                    }
                                }));
                    }
                })
                .connect(new InetSocketAddress("127.0.0.1", port), new InetSocketAddress(local, 0)).sync().channel();
    }

    /** Unvalidated headers to fill in; pseudo-headers are set by the caller too. */
    public static Http2Headers headers() {
        return new DefaultHttp2Headers(false);
    }

    /**
     * Sends {@code headers} (and {@code body}, if not null) on a new stream; returns
     * {@code "status 400"}, {@code "reset PROTOCOL_ERROR"} or {@code "goaway"}, whichever ends it.
     */
    public String exchange(Http2Headers headers, String body) throws Exception {
        return open(headers, body, true).head().get(10, TimeUnit.SECONDS);
    }

    /**
     * Sends a request with a body and trailers (a trailing HEADERS frame that ends the stream) and
     * does not wait for the answer.
     */
    public void sendWithTrailers(Http2Headers headers, String body, Http2Headers trailers) throws Exception {
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                    }
                })
                .open().sync().getNow();
        stream.write(new DefaultHttp2HeadersFrame(headers, false));
        stream.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), false));
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true)).sync();
    }

    /**
     * The rapid-reset attack (CVE-2023-44487): opens {@code streams} streams and resets each at once.
     * Returns how many streams were opened before the gateway closed the connection, or -1 when it
     * was still open 10 seconds after the last one.
     */
    public int rapidReset(Http2Headers headers, int streams) throws Exception {
        int opened = 0;
        for (; opened < streams && connection.isActive(); opened++) {
            var opening = new Http2StreamChannelBootstrap(connection)
                    .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                        }
                    })
                    .open().await();
            if (!opening.isSuccess()) {
                break; // the gateway already ended the connection
            }
            Http2StreamChannel stream = opening.getNow();
            stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, false));
            stream.close(); // RST_STREAM(CANCEL) right after the headers
        }
        return connection.closeFuture().await(10, TimeUnit.SECONDS) ? opened : -1;
    }

    /**
     * Opens {@code streams} streams that send {@code headers} and one DATA frame but never end their
     * body; each future completes with the stream's first answer — {@code "status 200"}, {@code
     * "status 503 retry-after 2"}, {@code "reset CANCEL"} or {@code "closed"} — and the streams stay open.
     */
    public List<CompletableFuture<String>> bodiesThatNeverEnd(Http2Headers headers, int streams) throws Exception {
        List<CompletableFuture<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < streams && connection.isActive(); i++) {
            OpenStream stream = open(headers, "part of a body", false);
            outcomes.add(stream.head().thenApply(head -> stream.retryAfter == null ? head
                    : head + " retry-after " + stream.retryAfter));
        }
        return outcomes;
    }

    /**
     * A stream left open: its answer as it arrives and how it ended, and DATA the caller sends on it
     * when it likes (a request body that goes on for as long as the test wants, say).
     */
    public static final class OpenStream {
        private final CompletableFuture<String> head = new CompletableFuture<>();
        private final CompletableFuture<String> end = new CompletableFuture<>();
        private final CompletableFuture<String> reset = new CompletableFuture<>();
        private final StringBuffer body = new StringBuffer();
        private volatile CharSequence retryAfter;
        private volatile Http2StreamChannel channel;

        /** The answer's status ({@code "status 200"}), or how the stream ended before one came. */
        public CompletableFuture<String> head() {
            return head;
        }

        /** How the stream ended: {@code "end-stream"} (the answer ended), {@code "reset CANCEL"}, or {@code "closed"}. */
        public CompletableFuture<String> end() {
            return end;
        }

        /** The RST_STREAM the server sent ({@code "reset NO_ERROR"}), also after a complete answer. */
        public CompletableFuture<String> reset() {
            return reset;
        }

        /** The answer's body as far as it arrived. */
        public String body() {
            return body.toString();
        }

        /** Sends {@code part} as a DATA frame that does not end the stream. */
        public void send(String part) {
            channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(part, StandardCharsets.UTF_8), false))
                    .syncUninterruptibly();
        }

        /** Sends {@code part} as the last DATA frame: the request ends. */
        public void finish(String part) {
            channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(part, StandardCharsets.UTF_8), true))
                    .syncUninterruptibly();
        }

        private void ended(String how) {
            head.complete(how);
            end.complete(how);
        }
    }

    /**
     * Opens a stream with {@code headers}, then {@code body} as one DATA frame if not null; the stream
     * ends with them when {@code endStream}, else stays open for {@link OpenStream#send}.
     */
    public OpenStream open(Http2Headers headers, String body, boolean endStream) throws Exception {
        OpenStream open = new OpenStream();
        open.channel = new Http2StreamChannelBootstrap(connection)
                .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                        if (frame instanceof Http2HeadersFrame answer) {
                            if (answer.headers().status() != null) {
                                open.retryAfter = answer.headers().get("retry-after");
                                open.head.complete("status " + answer.headers().status());
                            }
                            if (answer.isEndStream()) {
                                open.end.complete("end-stream");
                            }
                        } else if (frame instanceof Http2DataFrame data) {
                            open.body.append(data.content().toString(StandardCharsets.UTF_8));
                            if (data.isEndStream()) {
                                open.end.complete("end-stream");
                            }
                        }
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                        if (event instanceof Http2ResetFrame reset) {
                            open.ended("reset " + Http2Error.valueOf(reset.errorCode()));
                            open.reset.complete("reset " + Http2Error.valueOf(reset.errorCode()));
                        }
                        ctx.fireUserEventTriggered(event);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        open.ended("closed");
                    }
                })
                .open().sync().getNow();
        open.channel.write(new DefaultHttp2HeadersFrame(headers, endStream && body == null));
        if (body != null) {
            open.channel.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), endStream));
        }
        open.channel.flush();
        return open;
    }

    /** Whether the connection is still open. */
    public boolean isOpen() {
        return connection.isActive();
    }

    @Override
    public void close() {
        connection.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
