package dev.portcullis.gateway.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A deliberately careless workspace app for browser tests, the kind the isolation rules must protect
 * even when the app itself does not: it answers every origin's CORS request with credentials
 * allowed, accepts WebSocket upgrades from any origin (as an IDE with a relaxed origin check does),
 * and records every POST and upgrade that reaches it, by the Host it was sent to.
 *
 * <ul>
 *   <li>{@code GET /probe[?target=<origin>]}: a page that POSTs to {@code <target>/echo} with
 *       credentials and opens a WebSocket to {@code <target>/ws}, then shows what happened as JSON
 *       in {@code #out} and sets the title to {@code done};</li>
 *   <li>{@code GET /form?target=<origin>}: a page that submits a form POST to {@code <target>/echo};</li>
 *   <li>{@code GET /set-domain-cookie}: sets {@code leak=header} with {@code Domain=<base domain>} in
 *       a header, and {@code jsleak=script} with the same Domain from script;</li>
 *   <li>{@code GET /cookies}: the Cookie header it received, as text;</li>
 *   <li>{@code POST /echo}, {@code /ws}: record and echo.</li>
 * </ul>
 */
public final class BrowserTestSite implements AutoCloseable {
    public static final String APP_TITLE = "test site";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final String baseDomain;
    /** "POST host" or "UPGRADE host", with the Origin that came along. */
    private final List<String> received = new CopyOnWriteArrayList<>();

    public BrowserTestSite(int port, String baseDomain) throws InterruptedException {
        this.baseDomain = baseDomain;
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(1 << 16))
                                .addLast(new RecordUpgrades())
                                .addLast(new WebSocketServerProtocolHandler("/ws"))
                                .addLast(new Echo())
                                .addLast(new Pages());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Every POST and upgrade that reached the app: {@code "POST <host> from <origin>"}. */
    public List<String> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class RecordUpgrades extends SimpleChannelInboundHandler<FullHttpRequest> {
        RecordUpgrades() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if (request.headers().contains(HttpHeaderNames.UPGRADE)) {
                received.add("UPGRADE " + request.headers().get(HttpHeaderNames.HOST) + " from "
                        + request.headers().get(HttpHeaderNames.ORIGIN));
            }
            ctx.fireChannelRead(request);
        }
    }

    private static final class Echo extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) {
            ctx.writeAndFlush(new TextWebSocketFrame(frame.text()));
        }
    }

    private final class Pages extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            String origin = request.headers().get(HttpHeaderNames.ORIGIN);
            FullHttpResponse response;
            if (request.method().equals(HttpMethod.OPTIONS)) {
                response = answer(HttpResponseStatus.NO_CONTENT, "text/plain", "");
            } else if (request.method().equals(HttpMethod.POST) && uri.path().equals("/echo")) {
                received.add("POST " + request.headers().get(HttpHeaderNames.HOST) + " from " + origin);
                response = answer(HttpResponseStatus.OK, "text/plain", "echoed " + request.content().toString(StandardCharsets.UTF_8));
            } else if (uri.path().equals("/probe")) {
                response = answer(HttpResponseStatus.OK, "text/html", PROBE);
            } else if (uri.path().equals("/form")) {
                response = answer(HttpResponseStatus.OK, "text/html", FORM);
            } else if (uri.path().equals("/set-domain-cookie")) {
                response = answer(HttpResponseStatus.OK, "text/html", "<!doctype html><title>cookies set</title>"
                        + "<script>document.cookie='jsleak=script; Domain=" + baseDomain + "; Path=/; Secure';</script>");
                response.headers().add(HttpHeaderNames.SET_COOKIE, "leak=header; Domain=" + baseDomain
                        + "; Path=/; Secure; SameSite=Lax");
            } else if (uri.path().equals("/cookies")) {
                String cookies = request.headers().get(HttpHeaderNames.COOKIE);
                response = answer(HttpResponseStatus.OK, "text/plain", "cookies: " + (cookies == null ? "" : cookies));
            } else {
                response = answer(HttpResponseStatus.OK, "text/html", "<!doctype html><title>" + APP_TITLE
                        + "</title><h1>The app answers</h1>");
            }
            if (origin != null) {
                // The careless part: any origin, with credentials.
                response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                        .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
                        .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST, PUT, DELETE")
                        .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "content-type");
            }
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        private static FullHttpResponse answer(HttpResponseStatus status, String type, String body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, type + "; charset=utf-8")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, "close");
            return response;
        }
    }

    private static final String PROBE = """
            <!doctype html><html><head><title>probing</title></head><body><pre id="out">{}</pre><script>
            const out = document.getElementById('out'), results = {};
            function done(key, value) {
              if (key in results) return;
              results[key] = value; out.textContent = JSON.stringify(results);
              if (Object.keys(results).length === 2) document.title = 'done';
            }
            const target = new URLSearchParams(location.search).get('target') || location.origin;
            fetch(target + '/echo', {method: 'POST', credentials: 'include', body: 'from ' + location.host})
              .then(r => r.text().then(t => done('post', r.status + ' ' + t)))
              .catch(e => done('post', 'failed: ' + e.name));
            const ws = new WebSocket(target.replace('https:', 'wss:') + '/ws');
            ws.onopen = () => ws.send('hello');
            ws.onmessage = m => { done('ws', 'echo: ' + m.data); ws.close(); };
            ws.onerror = () => done('ws', 'failed');
            ws.onclose = e => done('ws', 'closed ' + e.code);
            </script></body></html>""";

    private static final String FORM = """
            <!doctype html><html><head><title>form</title></head><body>
            <form id="f" method="post" enctype="text/plain"><input name="cmd" value="rm -rf /"></form><script>
            const f = document.getElementById('f');
            f.action = new URLSearchParams(location.search).get('target') + '/echo';
            f.submit();
            </script></body></html>""";
}
