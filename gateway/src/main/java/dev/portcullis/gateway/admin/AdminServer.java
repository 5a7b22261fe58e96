package dev.portcullis.gateway.admin;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * The operator's listener, on loopback unless configured otherwise: {@code /healthz} (the process
 * answers), {@code /readyz} (it serves traffic) and {@code /metrics} (Prometheus text). It never
 * carries workspace traffic and shares nothing with the proxy's pipelines.
 */
public final class AdminServer implements AutoCloseable {
    private final Channel listener;

    private AdminServer(Channel listener) {
        this.listener = listener;
    }

    public static AdminServer start(InetSocketAddress address, EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                                    GatewayMetrics metrics, BooleanSupplier ready) throws IOException, InterruptedException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(8192))
                                .addLast(new AdminHandler(metrics, ready));
                    }
                });
        try {
            return new AdminServer(bootstrap.bind(address).sync().channel());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot listen on " + address + " for the admin listener: " + e.getMessage(), e);
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
    }

    private static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final GatewayMetrics metrics;
        private final BooleanSupplier ready;

        AdminHandler(GatewayMetrics metrics, BooleanSupplier ready) {
            this.metrics = metrics;
            this.ready = ready;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            FullHttpResponse response;
            if (request.decoderResult().isFailure()) {
                response = text(HttpResponseStatus.BAD_REQUEST, "malformed request\n");
            } else if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
                response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
            } else {
                response = switch (new QueryStringDecoder(request.uri()).path()) {
                    case "/healthz" -> text(HttpResponseStatus.OK, "ok\n");
                    case "/readyz" -> ready.getAsBoolean() ? text(HttpResponseStatus.OK, "ready\n")
                            : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready\n");
                    case "/metrics" -> metrics(ctx);
                    default -> text(HttpResponseStatus.NOT_FOUND, "unknown path; try /healthz, /readyz or /metrics\n");
                };
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            var written = ctx.writeAndFlush(response);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private FullHttpResponse metrics(ChannelHandlerContext ctx) throws IOException {
            ByteBuf body = ctx.alloc().buffer();
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                metrics.writeText(out);
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, GatewayMetrics.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            return response;
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
            response.content().writeCharSequence(body, StandardCharsets.UTF_8);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            return response;
        }
    }
}
