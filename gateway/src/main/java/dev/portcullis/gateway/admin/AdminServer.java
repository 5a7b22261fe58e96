package dev.portcullis.gateway.admin;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWKSet;
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
import dev.portcullis.gateway.auth.BearerTokens;
import java.io.IOException;
import java.security.MessageDigest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's listener, on loopback unless configured otherwise: {@code /healthz} (the process
 * answers), {@code /readyz} (it serves traffic), {@code /metrics} (Prometheus text), the policy and
 * share API under {@code /api/v1/} (see {@link AccessApi}; every call authenticated), the hosts'
 * route API under {@code /api/v1/hosts/} (see {@link HostRoutesApi}) and, when the
 * development issuer is on, its public keys. It never carries workspace traffic and shares nothing
 * with the proxy's pipelines.
 */
public final class AdminServer implements AutoCloseable {
    public static final String DEV_ISSUER_JWKS = "/dev-issuer/jwks.json";
    public static final String IDENTITY_ASSERTION_JWKS = "/identity-assertion/jwks.json";
    // A policy is a document an admin wrote; a megabyte is far beyond any real one.
    private static final int MAX_BODY = 1 << 20;

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final Channel listener;

    private AdminServer(Channel listener) {
        this.listener = listener;
    }

    /**
     * @param accessApi the policy and share API, when access is enforced
     * @param hostRoutesApi the hosts' route API, when access is enforced, routes come from a store and hosts are trusted
     * @param keySets public key sets served by path: the development issuer's ({@value #DEV_ISSUER_JWKS}) when
     *                it is on, the identity assertions' ({@value #IDENTITY_ASSERTION_JWKS}) when access is enforced
     */
    public static AdminServer start(InetSocketAddress address, EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                                    GatewayMetrics metrics, Readiness readiness, Supplier<Optional<AccessApi>> accessApi,
                                    Supplier<Optional<HostRoutesApi>> hostRoutesApi, Supplier<Map<String, JWKSet>> keySets,
                                    Optional<String> readToken)
            throws IOException, InterruptedException {
        requireNonNull(readToken, "readToken");
        // Bound to a loopback address, only processes on this machine reach it; 0.0.0.0 or a real address is "elsewhere".
        boolean loopbackOnly = address.getAddress().isLoopbackAddress();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(MAX_BODY))
                                .addLast(new AdminHandler(metrics, readiness, accessApi, hostRoutesApi, keySets, readToken,
                                        loopbackOnly));
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

    /** What {@code /readyz} reports. */
    @FunctionalInterface
    public interface Readiness {
        /** Why the gateway should not get traffic now, or {@code null} when it should. */
        String notReadyBecause();
    }

    private static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final GatewayMetrics metrics;
        private final Readiness readiness;
        private final Supplier<Optional<AccessApi>> accessApi;
        private final Supplier<Optional<HostRoutesApi>> hostRoutesApi;
        private final Supplier<Map<String, JWKSet>> keySets;
        private final Optional<byte[]> readToken;
        private final boolean loopbackOnly;

        AdminHandler(GatewayMetrics metrics, Readiness readiness, Supplier<Optional<AccessApi>> accessApi,
                     Supplier<Optional<HostRoutesApi>> hostRoutesApi, Supplier<Map<String, JWKSet>> keySets,
                     Optional<String> readToken, boolean loopbackOnly) {
            this.loopbackOnly = loopbackOnly;
            this.readToken = readToken.map(token -> token.getBytes(StandardCharsets.UTF_8));
            this.metrics = metrics;
            this.readiness = readiness;
            this.accessApi = accessApi;
            this.hostRoutesApi = hostRoutesApi;
            this.keySets = keySets;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            FullHttpResponse response;
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            if (!request.decoderResult().isFailure() && uri.path().startsWith(HostRoutesApi.PREFIX)) {
                callHostRoutesApi(ctx, request, uri);
                return;
            }
            if (!request.decoderResult().isFailure() && uri.path().startsWith(AccessApi.PREFIX)) {
                callAccessApi(ctx, request, uri);
                return;
            }
            if (request.decoderResult().isFailure()) {
                response = text(HttpResponseStatus.BAD_REQUEST, "malformed request\n");
            } else if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
                response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
            } else if (keySets.get().containsKey(uri.path())) {
                response = typed(HttpResponseStatus.OK, "application/jwk-set+json",
                        keySets.get().get(uri.path()).toString(true) + "\n");
            } else {
                response = switch (uri.path()) {
                    case "/healthz" -> text(HttpResponseStatus.OK, "ok\n");
                    case "/readyz" -> readyz();
                    case "/metrics" -> metrics(ctx, request);
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

        private FullHttpResponse readyz() {
            String notReady = readiness.notReadyBecause();
            return notReady == null ? text(HttpResponseStatus.OK, "ready\n")
                    : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + notReady + "\n");
        }

        /**
         * The read token gets every series. Without it, a loopback admin listener serves the series
         * that name no workspace, and any other listener nothing: an anonymous scrape never learns
         * which workspaces exist (issue 17, item 8).
         */
        private FullHttpResponse metrics(ChannelHandlerContext ctx, FullHttpRequest request) throws IOException {
            String presented = BearerTokens.from(request.headers().get(HttpHeaderNames.AUTHORIZATION));
            boolean authenticated = presented != null && readToken.isPresent()
                    && MessageDigest.isEqual(readToken.get(), presented.getBytes(StandardCharsets.UTF_8));
            if (!authenticated && (presented != null || !loopbackOnly)) {
                FullHttpResponse refused = text(HttpResponseStatus.UNAUTHORIZED, presented != null
                        ? "wrong token for /metrics\n"
                        : "this admin listener is not on loopback: /metrics needs the read token (adminReadTokenFile)\n");
                refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"portcullis-admin\"");
                return refused;
            }
            ByteBuf body = ctx.alloc().buffer();
            try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
                if (authenticated) {
                    metrics.writeText(out);
                } else {
                    metrics.writeTextWithoutWorkspaces(out);
                }
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, GatewayMetrics.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            return response;
        }

        /**
         * Policy and share calls are answered when the caller's token is verified and the call ran on
         * the API's own thread; the connection closes after the answer, so answers cannot overtake
         * one another on a pipelining connection.
         */
        private void callAccessApi(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
            Optional<AccessApi> api = accessApi.get();
            if (api.isEmpty()) {
                ctx.writeAndFlush(text(HttpResponseStatus.NOT_FOUND, "access control is off: no policy API\n"))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            List<String> source = uri.parameters().getOrDefault("source", List.of());
            AccessApi.Call call = new AccessApi.Call(request.method().name(), uri.path(), source.stream().findFirst(),
                    request.headers().get(HttpHeaderNames.AUTHORIZATION), request.content().toString(StandardCharsets.UTF_8),
                    Optional.ofNullable(request.headers().get(HttpHeaderNames.IF_MATCH)));
            answer(ctx, call.method(), call.path(), api.get().handle(call));
        }

        private void callHostRoutesApi(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder uri) {
            Optional<HostRoutesApi> api = hostRoutesApi.get();
            if (api.isEmpty()) {
                ctx.writeAndFlush(text(HttpResponseStatus.NOT_FOUND,
                                "no host route API: it needs identity issuers, a store and hostRoutes.addressRanges\n"))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            HostRoutesApi.Call call = new HostRoutesApi.Call(request.method().name(), uri.path(),
                    uri.parameters().getOrDefault("lease", List.of()).stream().findFirst(),
                    request.headers().get(HttpHeaderNames.AUTHORIZATION), request.content().toString(StandardCharsets.UTF_8));
            answer(ctx, call.method(), call.path(), api.get().handle(call));
        }

        /** Writes the API's answer when it comes, then closes the connection. */
        private static void answer(ChannelHandlerContext ctx, String method, String path,
                                   CompletableFuture<AccessApi.Answer> pending) {
            pending.whenComplete((answer, failure) -> {
                FullHttpResponse response = failure != null
                        ? text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "the call failed; see the gateway log\n")
                        : typed(HttpResponseStatus.valueOf(answer.status()), answer.contentType(), answer.body());
                if (answer != null) {
                    answer.etag().ifPresent(etag -> response.headers().set(HttpHeaderNames.ETAG, etag));
                }
                if (answer != null && answer.status() == 401) {
                    response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"portcullis-admin\"");
                }
                if (failure != null) {
                    log.error("admin API call {} {} failed", method, path, failure);
                }
                response.headers().set(HttpHeaderNames.CONNECTION, "close");
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            });
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body) {
            return typed(status, "text/plain; charset=utf-8", body);
        }

        private static FullHttpResponse typed(HttpResponseStatus status, String contentType, String body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
            response.content().writeCharSequence(body, StandardCharsets.UTF_8);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            return response;
        }
    }
}
