package dev.portcullis.devkit.workspace;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedStream;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's workspace: what a developer's dev server would be. It serves a page, streams a
 * request body straight back ({@code POST /echo}), sends {@code n} known bytes ({@code GET /bytes?n=}),
 * answers after a delay ({@code GET /slow?ms=}) and echoes WebSocket messages on {@code /echo}. Tests use it as their workspace too.
 */
public final class DemoWorkspaceApp implements AutoCloseable {
    public static final String PAGE_TITLE = "Portcullis demo workspace";
    private static final int MAX_WEBSOCKET_FRAME = 16 * 1024 * 1024;

    private final EventLoopGroup group;
    private final Channel listener;
    private final AtomicInteger connections;
    private final AtomicLong requests;

    private DemoWorkspaceApp(EventLoopGroup group, Channel listener, AtomicInteger connections, AtomicLong requests) {
        this.group = group;
        this.listener = listener;
        this.connections = connections;
        this.requests = requests;
    }

    public static DemoWorkspaceApp start(ServerSockets sockets, InetSocketAddress address) throws InterruptedException {
        return start(sockets, address, null, null);
    }

    /** As {@link #start(ServerSockets, InetSocketAddress)}, serving HTTPS with {@code tls} when it is not null. */
    public static DemoWorkspaceApp start(ServerSockets sockets, InetSocketAddress address, SslContext tls)
            throws InterruptedException {
        return start(sockets, address, tls, null);
    }

    /**
     * As {@link #start(ServerSockets, InetSocketAddress, SslContext)}; the page says {@code where} the app
     * runs (e.g. "inside network namespace pcdemo-demo") when it is not null.
     */
    public static DemoWorkspaceApp start(ServerSockets sockets, InetSocketAddress address, SslContext tls, String where)
            throws InterruptedException {
        EventLoopGroup group = sockets.eventLoops().newEventLoopGroup(1, new DefaultThreadFactory("demo-workspace"));
        AtomicInteger connections = new AtomicInteger();
        AtomicLong requests = new AtomicLong();
        try {
            Channel listener = new ServerBootstrap()
                    .group(group)
                    .channel(sockets.serverChannel())
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            connections.incrementAndGet();
                            if (tls != null) {
                                channel.pipeline().addLast(tls.newHandler(channel.alloc()));
                            }
                            channel.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpServerExpectContinueHandler())
                                    .addLast(new ChunkedWriteHandler())
                                    .addLast(new WorkspaceHandler(where, requests));
                        }
                    })
                    .bind(address).sync().channel();
            return new DemoWorkspaceApp(group, listener, connections, requests);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /**
     * Runs the app on its own, e.g. inside a workspace's network namespace:
     * {@code ip netns exec <ns> java -cp ... DemoWorkspaceApp [port [where]]} listens on all addresses,
     * prints {@code listening <port>} once it accepts connections, and stops when its standard input
     * ends, so it never outlives the process that started it, not even one killed with SIGKILL.
     */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        String where = args.length > 1 ? args[1] : null;
        DemoWorkspaceApp app = start(ServerSockets.best(), new InetSocketAddress(port), null, where);
        Runtime.getRuntime().addShutdownHook(new Thread(app::close, "demo-workspace-stop"));
        Thread stdinWatch = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // only the end of the input matters
                }
            } catch (java.io.IOException e) {
                // a broken input is an ended one
            }
            System.exit(0);
        }, "demo-workspace-stdin");
        stdinWatch.setDaemon(true);
        stdinWatch.start();
        System.out.println("listening " + app.address().getPort());
        System.out.flush();
        app.listener.closeFuture().sync();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** Waits until the listener closes or {@code atMost} has passed. */
    void awaitClose(java.time.Duration atMost) throws InterruptedException {
        listener.closeFuture().await(atMost.toMillis());
    }

    /**
     * Requests (and WebSocket handshakes) received since start: whether a request reached the workspace, even over a
     * connection the gateway had pooled before.
     */
    public long receivedRequests() {
        return requests.get();
    }

    /** Connections accepted since start (the gateway pools its connections to a workspace). */
    public int acceptedConnections() {
        return connections.get();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** The byte at {@code index} of a {@code /bytes} response, so a receiver can check every byte. */
    public static byte patternByte(long index) {
        return (byte) (index * 31 + (index >>> 8) * 7 + 11);
    }

    private static final class WorkspaceHandler extends ChannelInboundHandlerAdapter {
        private final String where;
        private final AtomicLong requests;
        private boolean echoingBody;
        private boolean answered;
        private boolean keepAlive;
        private WebSocketServerHandshaker webSocket;

        WorkspaceHandler(String where, AtomicLong requests) {
            this.where = where;
            this.requests = requests;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (webSocket != null) {
                onWebSocketMessage(ctx, msg);
                return;
            }
            if (msg instanceof HttpRequest request) {
                requests.incrementAndGet();
                onRequest(ctx, request);
            }
            if (msg instanceof HttpContent content) {
                onContent(ctx, content);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
            keepAlive = HttpUtil.isKeepAlive(request);
            answered = false;
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            if (uri.path().equals("/echo") && request.headers().contains(HttpHeaderNames.UPGRADE)) {
                String url = "ws://" + request.headers().get(HttpHeaderNames.HOST) + "/echo";
                webSocket = new WebSocketServerHandshakerFactory(url, null, true, MAX_WEBSOCKET_FRAME).newHandshaker(request);
                if (webSocket == null) {
                    WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
                    return;
                }
                webSocket.handshake(ctx.channel(), new DefaultFullHttpRequest(request.protocolVersion(), request.method(),
                        request.uri(), Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE))
                        .addListener((ChannelFutureListener) done -> ctx.read());
                return;
            }
            if (uri.path().equals("/echo") && request.method().equals(HttpMethod.POST)) {
                HttpResponse head = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                HttpUtil.setTransferEncodingChunked(head, true);
                echoingBody = true;
                ctx.writeAndFlush(head).addListener((ChannelFutureListener) done -> ctx.read());
                return;
            }
            if (uri.path().equals("/bytes")) {
                long count = Long.parseLong(uri.parameters().getOrDefault("n", List.of("0")).get(0));
                HttpResponse head = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
                head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
                HttpUtil.setContentLength(head, count);
                ctx.write(head);
                ctx.writeAndFlush(new HttpChunkedInput(new ChunkedStream(new PatternStream(count), 64 * 1024)))
                        .addListener(afterResponse(ctx));
                return;
            }
            if (uri.path().equals("/slow")) {
                // A response that takes its time, like a long poll: ?ms=N, at most a minute.
                long millis = Math.min(60_000, Long.parseLong(uri.parameters().getOrDefault("ms", List.of("1000")).get(0)));
                ctx.executor().schedule(() -> respond(ctx, request, HttpResponseStatus.OK, "text/plain; charset=utf-8",
                        "answered after " + millis + " ms\n"), millis, TimeUnit.MILLISECONDS);
                return;
            }
            if (uri.path().equals("/")) {
                String page = DemoPage.render(request, (InetSocketAddress) ctx.channel().localAddress(), where);
                respond(ctx, request, HttpResponseStatus.OK, "text/html; charset=utf-8", page);
                return;
            }
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8", "no such page in the demo workspace\n");
        }

        private void onContent(ChannelHandlerContext ctx, HttpContent content) {
            if (!echoingBody) {
                // A body the app does not use: drain it to its end, and once the answer is out read on (AUTO_READ is
                // off), or a keep-alive connection whose answer went before its body would stop at the next request.
                boolean last = content instanceof LastHttpContent;
                content.release();
                if (!last || answered) {
                    ctx.read();
                }
                return;
            }
            boolean last = content instanceof LastHttpContent;
            HttpContent echoed = last ? new DefaultLastHttpContent(content.content())
                    : new DefaultHttpContent(content.content());
            if (last) {
                echoingBody = false;
                ctx.writeAndFlush(echoed).addListener(afterResponse(ctx));
            } else {
                ctx.writeAndFlush(echoed).addListener((ChannelFutureListener) done -> ctx.read());
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String type, String body) {
            ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status, content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            HttpUtil.setContentLength(response, content.readableBytes());
            ctx.writeAndFlush(response).addListener(afterResponse(ctx));
        }

        private ChannelFutureListener afterResponse(ChannelHandlerContext ctx) {
            return done -> {
                if (!keepAlive || !done.isSuccess()) {
                    ctx.close();
                } else {
                    answered = true;
                    ctx.read();
                }
            };
        }

        private void onWebSocketMessage(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof CloseWebSocketFrame close) {
                webSocket.close(ctx.channel(), close);
            } else if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content())).addListener((ChannelFutureListener) done -> ctx.read());
            } else if (msg instanceof WebSocketFrame frame) {
                ctx.writeAndFlush(frame).addListener((ChannelFutureListener) done -> ctx.read());
            } else {
                ReferenceCountUtil.release(msg); // the end marker of the handshake request
                ctx.read();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            org.slf4j.LoggerFactory.getLogger(DemoWorkspaceApp.class).warn("demo workspace connection failed", cause);
            ctx.close();
        }
    }

    /** {@code count} bytes of {@link #patternByte}, produced as they are read. */
    private static final class PatternStream extends InputStream {
        private final long count;
        private long position;

        PatternStream(long count) {
            this.count = count;
        }

        // ChunkedStream sizes its chunks by available(): without this it would send one byte at a time.
        @Override
        public int available() {
            return (int) Math.min(Integer.MAX_VALUE, count - position);
        }

        @Override
        public int read() {
            return position < count ? patternByte(position++) & 0xff : -1;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position >= count) {
                return -1;
            }
            int n = (int) Math.min(length, count - position);
            for (int i = 0; i < n; i++) {
                buffer[offset + i] = patternByte(position++);
            }
            return n;
        }
    }
}
