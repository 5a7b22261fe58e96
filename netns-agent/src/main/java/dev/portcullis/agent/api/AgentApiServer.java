package dev.portcullis.agent.api;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/1.1 on a unix domain socket, mode 0600: only root (the runtime that runs as root) may ask
 * for networks. Reads of the agent's memory (list, get, status) are answered on the event loop
 * itself: they never block, so they never wait behind a write. Everything that runs ip/nft/tc goes
 * to a pool of workers, where writes to different workspaces run side by side.
 */
public final class AgentApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentApiServer.class);
    private static final int MAX_BODY = 64 * 1024;

    private final Path socket;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private static final int WORKERS = 16;
    private final ExecutorService worker = Executors.newFixedThreadPool(WORKERS, r -> {
        Thread t = new Thread(r, "agent-api-worker");
        t.setDaemon(true);
        return t;
    });
    private final Channel channel;

    private AgentApiServer(Path socket, Path bindAt, ApiHandler handler) throws InterruptedException {
        this.socket = socket;
        this.channel = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(MAX_BODY))
                                .addLast("api", new RequestHandler(handler));
                    }
                })
                .bind(new DomainSocketAddress(bindAt.toFile()))
                .sync()
                .channel();
    }

    public static AgentApiServer start(Path socket, ApiHandler handler) throws InterruptedException {
        requireNonNull(socket, "socket");
        requireNonNull(handler, "handler");
        prepare(socket);
        // Bind inside a private 0700 directory, restrict the socket to 0600, then rename it into
        // place: the socket never exists at its public path with looser permissions.
        Path privateDir;
        try {
            privateDir = Files.createTempDirectory(socket.toAbsolutePath().getParent(), ".agent-api-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a private directory next to " + socket + ": " + e.getMessage(), e);
        }
        Path bindAt = privateDir.resolve("agent.sock");
        AgentApiServer server = new AgentApiServer(socket, bindAt, handler);
        try {
            Files.setPosixFilePermissions(bindAt, PosixFilePermissions.fromString("rw-------"));
            Files.move(bindAt, socket, StandardCopyOption.ATOMIC_MOVE);
            Files.delete(privateDir);
        } catch (IOException e) {
            server.close();
            throw new UncheckedIOException("cannot publish " + socket + " with mode 0600: " + e.getMessage(), e);
        }
        log.info("local API listening on {} (mode 0600)", socket);
        return server;
    }

    /** Creates the directory (0700 when new) and removes a stale socket; a live one means a second agent. */
    private static void prepare(Path socket) {
        try {
            Path dir = socket.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (Files.exists(socket)) {
                try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    probe.connect(UnixDomainSocketAddress.of(socket));
                    throw new IllegalStateException(socket + " is in use by a running agent (expected: one agent per socket)");
                } catch (IOException stale) {
                    Files.delete(socket);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + socket + ": " + e.getMessage(), e);
        }
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully().syncUninterruptibly();
        worker.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ApiHandler handler;

        RequestHandler(ApiHandler handler) {
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (!request.decoderResult().isSuccess()) {
                write(ctx, new ApiHandler.Response(400, "application/json",
                        "{\"status\":400,\"error\":\"malformed HTTP request\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
                return;
            }
            String method = request.method().name();
            String path = new QueryStringDecoder(request.uri()).path();
            byte[] body = ByteBufUtil.getBytes(request.content());
            if (ApiHandler.answersFromMemory(method, path)) {
                write(ctx, handler.handle(method, path, body), keepAlive);
            } else {
                worker.execute(() -> write(ctx, handler.handle(method, path, body), keepAlive));
            }
        }

        private void write(ChannelHandlerContext ctx, ApiHandler.Response response, boolean keepAlive) {
            FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(response.body()));
            http.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
            HttpUtil.setContentLength(http, response.body().length);
            HttpUtil.setKeepAlive(http, keepAlive);
            var future = ctx.writeAndFlush(http);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("API connection failed: {}", cause.getMessage());
            ctx.close();
        }
    }
}
