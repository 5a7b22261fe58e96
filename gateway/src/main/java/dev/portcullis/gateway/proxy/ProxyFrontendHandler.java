package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.observe.Exchange;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.route.WorkspaceRoute;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one proxied connection: routes each request by its Host, opens (or reuses)
 * the connection to the workspace port on the same event loop, and streams the request body with
 * backpressure — the client is read again only after the previous chunk reached the workspace.
 * Requests on one connection are handled one at a time; the next is read when the response ended.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);

    private final ProxySettings settings;
    private final int listenerPort;

    private ChannelHandlerContext ctx;
    private Channel upstream;
    private InetSocketAddress upstreamAddress;
    private UpstreamResponseHandler upstreamHandler;
    private boolean upstreamConnected;
    // Body chunks that arrived with the request head, before the workspace accepted the connection.
    private final Queue<HttpContent> waitingForConnection = new ArrayDeque<>();
    // Pipelined requests decoded from the same read as the current one; handled after its response.
    private final Queue<Object> pipelined = new ArrayDeque<>();

    private boolean requestInProgress;
    private boolean requestFullyReceived;
    private boolean keepAlive;
    private boolean browser;
    private boolean webSocketUpgrade;
    private boolean answeredByGateway;
    private ScheduledFuture<?> requestHeadDeadline;
    private Exchange exchange;
    private long requestBodyBytes;
    private boolean draining;

    public ProxyFrontendHandler(ProxySettings settings, int listenerPort) {
        this.settings = settings;
        this.listenerPort = listenerPort;
    }

    private boolean started;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            start(); // added after the TLS handshake, to a connection that is already active
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(); // an HTTP/2 stream channel becomes active after its initializer ran
        ctx.fireChannelActive();
    }

    private void start() {
        if (!started) {
            started = true;
            armRequestHeadDeadline();
            ctx.read();
        }
    }

    /**
     * An absolute deadline for the next request head: a client that trickles a byte now and then is
     * closed when it passes, which an idle timer (reset by every byte) would never do.
     */
    private void armRequestHeadDeadline() {
        long nanos = settings.timeouts().requestHead().toNanos();
        requestHeadDeadline = ctx.executor().schedule(this::requestHeadTooLate, nanos, TimeUnit.NANOSECONDS);
    }

    private void requestHeadTooLate() {
        answer(ProxyError.REQUEST_HEAD_TIMEOUT, "The request head did not arrive within "
                + settings.timeouts().requestHead().toMillis() + " ms.");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answeredByGateway) {
            // The gateway answered this request itself and closes after the answer: drop the rest.
            ReferenceCountUtil.release(msg);
            return;
        }
        if (requestInProgress && requestFullyReceived) {
            pipelined.add(msg); // bounded: nothing more is read until this response has ended
            return;
        }
        if (msg instanceof HttpRequest request) {
            onRequestHead(request);
            if (msg instanceof FullHttpRequest full && !answeredByGateway) {
                // A whole request in one object (an HTTP/2 stream of headers only, say): the head
                // went on its own, the body follows as the request's last content.
                msg = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            }
        }
        if (msg instanceof HttpContent content && !answeredByGateway) {
            onRequestContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(HttpRequest request) {
        if (requestHeadDeadline != null) {
            requestHeadDeadline.cancel(false);
            requestHeadDeadline = null;
        }
        exchange = new Exchange(settings.metrics(), (InetSocketAddress) ctx.channel().remoteAddress(),
                request.method().name(), request.uri());
        browser = ErrorResponses.wantsHtml(request.headers().get(HttpHeaderNames.ACCEPT));
        if (request.decoderResult().isFailure()) {
            answerMalformed(request.decoderResult().cause());
            return;
        }
        String problem = RequestChecks.problemWith(request);
        if (problem != null) {
            answer(ProxyError.MALFORMED_REQUEST, "The request is not valid HTTP/1.1: " + problem + ".");
            return;
        }
        long maxBody = settings.limits().maxRequestBody();
        if (maxBody > 0 && HttpUtil.getContentLength(request, -1L) > maxBody) {
            answer(ProxyError.BODY_TOO_LARGE, "The request body is larger than " + maxBody + " bytes.");
            return;
        }
        requestInProgress = true;
        requestFullyReceived = false;
        requestBodyBytes = 0;
        keepAlive = HttpUtil.isKeepAlive(request) && !draining;
        webSocketUpgrade = ForwardedRequests.isWebSocketUpgrade(request);

        PortHost host = PortHost.parse(request.headers().get(HttpHeaderNames.HOST), settings.baseDomains());
        PortHost.WorkspacePort target;
        switch (host) {
            case PortHost.Malformed malformed -> {
                answer(ProxyError.MALFORMED_HOST, malformed.reason());
                return;
            }
            case PortHost.ForeignDomain foreign -> {
                answer(ProxyError.NOT_SERVED_HERE, "'" + foreign.host() + "' is not under a domain this gateway serves");
                return;
            }
            case PortHost.WorkspacePort port -> target = port;
        }
        WorkspaceRoute route = settings.routes().get().lookup(target.workspaceId());
        if (route == null) {
            answer(ProxyError.UNKNOWN_WORKSPACE, "There is no workspace '" + target.workspaceId() + "'.");
            return;
        }
        exchange.routedTo(target.workspaceId(), target.port());
        InetSocketAddress address = new InetSocketAddress(route.address(), target.port());
        HttpRequest forwarded = ForwardedRequests.toWorkspace(request, target,
                (InetSocketAddress) ctx.channel().remoteAddress(), listenerPort, webSocketUpgrade);
        if (upstream != null && upstream.isActive() && address.equals(upstreamAddress)) {
            upstreamHandler.expectResponse(webSocketUpgrade, request.method());
            forward(forwarded);
            return;
        }
        closeUpstream();
        connect(address, target, forwarded, request);
    }

    private void connect(InetSocketAddress address, PortHost.WorkspacePort target, HttpRequest forwarded,
                         HttpRequest original) {
        upstreamHandler = new UpstreamResponseHandler(this, settings.timeouts().responseHead());
        upstreamHandler.expectResponse(webSocketUpgrade, original.method());
        UpstreamResponseHandler handler = upstreamHandler;
        ChannelFuture connecting = new Bootstrap()
                .group(ctx.channel().eventLoop())
                .channel(settings.socketChannelClass())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.timeouts().connect().toMillis())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline()
                                .addLast(PipelineNames.UPSTREAM_CODEC, new HttpClientCodec())
                                .addLast(PipelineNames.UPSTREAM, handler);
                    }
                })
                .connect(address);
        upstream = connecting.channel();
        upstreamAddress = address;
        upstreamConnected = false;
        connecting.addListener((ChannelFutureListener) done -> {
            if (done.channel() != upstream) {
                return; // superseded: the client moved on or closed while this connection was opening
            }
            if (!done.isSuccess()) {
                releaseWaiting();
                upstream = null;
                answer(ProxyError.PORT_NOT_SERVED, "Port " + target.port() + " of workspace '" + target.workspaceId()
                        + "' is not served: " + describeConnectFailure(done.cause()) + ".");
                return;
            }
            upstreamConnected = true;
            upstream.read();
            forward(forwarded);
            while (!waitingForConnection.isEmpty()) {
                forward(waitingForConnection.poll());
            }
        });
    }

    private void onRequestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            // A broken body must never look complete to the workspace: drop its connection unfinished.
            closeUpstream();
            answerMalformed(content.decoderResult().cause());
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        long maxBody = settings.limits().maxRequestBody();
        if (maxBody > 0 && requestBodyBytes > maxBody) {
            content.release();
            boolean responseStarted = upstreamHandler != null && upstreamHandler.responseStarted();
            closeUpstream(); // the workspace never sees the end of a body that broke the limit
            if (responseStarted) {
                ctx.close();
            } else {
                answer(ProxyError.BODY_TOO_LARGE, "The request body is larger than " + maxBody + " bytes.");
            }
            return;
        }
        requestFullyReceived |= content instanceof LastHttpContent;
        if (!upstreamConnected) {
            waitingForConnection.add(content);
            return;
        }
        forward(content);
    }

    /** Writes toward the workspace; the client is read again once the write completed. */
    private void forward(Object message) {
        boolean last = message instanceof LastHttpContent;
        if (message instanceof HttpContent content) {
            exchange.bytesToWorkspace(content.content().readableBytes());
        }
        UpstreamResponseHandler handler = upstreamHandler;
        upstream.writeAndFlush(message).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                log.debug("write to workspace {} failed", upstreamAddress, written.cause());
                closeUpstream();
                ctx.close();
            } else if (last) {
                handler.requestSent();
            } else if (!requestFullyReceived) {
                ctx.read();
            }
        });
    }

    /** Called by the upstream side with each part of the response, in order. */
    ChannelFuture writeResponse(Object message) {
        if (message instanceof HttpResponse response) {
            exchange.responseHead(response.status().code());
        }
        if (message instanceof HttpContent content) {
            exchange.bytesToClient(content.content().readableBytes());
        }
        return ctx.writeAndFlush(message);
    }

    /** The response head: after a request that asked the client connection to close, say so. */
    void prepareResponseHead(HttpResponse response) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    /** The workspace finished its response; the connection serves the next request or closes. */
    void responseComplete(ChannelFuture lastWrite, boolean upstreamReusable) {
        requestInProgress = false;
        exchange.finish();
        if (!upstreamReusable || !requestFullyReceived) {
            closeUpstream();
        } else {
            upstream.read(); // an idle upstream that closes or talks out of turn is noticed and dropped
        }
        if (!keepAlive || !requestFullyReceived) {
            lastWrite.addListener(ChannelFutureListener.CLOSE);
        } else {
            lastWrite.addListener((ChannelFutureListener) written -> {
                if (written.isSuccess()) {
                    handlePipelinedOrReadOn();
                }
            });
        }
    }

    /** Serves requests that were already decoded, in order; reads the client when none is left. */
    private void handlePipelinedOrReadOn() {
        List<Object> waiting = new ArrayList<>(pipelined);
        pipelined.clear();
        for (Object message : waiting) {
            channelRead(ctx, message);
        }
        if (!requestInProgress && !answeredByGateway) {
            armRequestHeadDeadline();
            ctx.read();
        }
    }

    /**
     * The workspace accepted a WebSocket upgrade. The 101 passes through the HTTP encoder now, on
     * this event loop, and both pipelines drop HTTP at once, so no byte is parsed as HTTP afterwards.
     */
    void switchToRelay(HttpResponse switchingProtocols) {
        exchange.responseHead(switchingProtocols.status().code());
        exchange.becameTunnel();
        ctx.writeAndFlush(switchingProtocols);
        ChannelPipeline client = ctx.pipeline();
        client.replace(this, PipelineNames.RELAY, new ByteRelayHandler(upstream, exchange, true));
        client.remove(PipelineNames.HTTP_CODEC);
        ChannelPipeline workspace = upstream.pipeline();
        workspace.replace(PipelineNames.UPSTREAM, PipelineNames.RELAY, new ByteRelayHandler(ctx.channel(), exchange, false));
        workspace.remove(PipelineNames.UPSTREAM_CODEC);
        ctx.channel().read();
        upstream.read();
    }

    /** The workspace failed before its response head: answer in its place, or close if it is too late. */
    void upstreamFailed(ProxyError error, String detail, boolean responseStarted) {
        closeUpstream();
        if (answeredByGateway) {
            return;
        }
        if (responseStarted || !requestInProgress) {
            if (requestInProgress) {
                ctx.close(); // cut mid-response: closing is the only honest signal left
            }
            return;
        }
        answer(error, detail);
    }

    /** A workspace connection closed; only the current one matters, others were closed on purpose. */
    void upstreamClosed(Channel channel, boolean unanswered, boolean responseStarted) {
        if (channel != upstream) {
            return;
        }
        upstream = null;
        upstreamConnected = false;
        if (unanswered) {
            upstreamFailed(ProxyError.PORT_NOT_SERVED, "The workspace closed the connection before it answered.",
                    responseStarted);
        }
    }

    boolean isWebSocketUpgrade() {
        return webSocketUpgrade;
    }

    private void answerMalformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            answer(ProxyError.URI_TOO_LONG, "The request line is longer than the gateway accepts.");
        } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            answer(ProxyError.HEADERS_TOO_LARGE, "The request headers are larger than the gateway accepts.");
        } else {
            answer(ProxyError.MALFORMED_REQUEST, "The request is not valid HTTP/1.1: " + cause.getMessage());
        }
    }

    /** Answers the current request from the gateway and closes the connection after the answer. */
    private void answer(ProxyError error, String detail) {
        if (answeredByGateway) {
            return;
        }
        answeredByGateway = true;
        requestInProgress = false;
        releaseWaiting();
        if (exchange == null) {
            exchange = new Exchange(settings.metrics(), (InetSocketAddress) ctx.channel().remoteAddress(), "-", "-");
        }
        exchange.answeredByGateway(error.status().code(), error.code());
        exchange.finish();
        var response = ErrorResponses.create(ctx.alloc(), error, detail, browser);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeUpstream() {
        if (upstream != null) {
            upstream.close();
            upstream = null;
            upstreamConnected = false;
        }
    }

    private void releaseWaiting() {
        HttpContent content;
        while ((content = waitingForConnection.poll()) != null) {
            content.release();
        }
    }

    private static String describeConnectFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "the connection timed out";
        }
        if (cause instanceof ConnectException) {
            return "nothing accepts connections there";
        }
        return "the connection failed (" + cause.getClass().getSimpleName() + ")";
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == Drain.EVENT) {
            draining = true;
            keepAlive = false; // the response in flight, if any, is the connection's last
            if (!requestInProgress && pipelined.isEmpty()) {
                closeUpstream();
                ctx.close();
            }
            return;
        }
        if (event instanceof IdleStateEvent) {
            log.debug("closing {} after {} of silence", ctx.channel().remoteAddress(), settings.timeouts().idle());
            closeUpstream();
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null && requestInProgress) {
            exchange.finish(); // cut short: logged with what it got to
        }
        if (requestHeadDeadline != null) {
            requestHeadDeadline.cancel(false);
        }
        releaseWaiting();
        pipelined.forEach(ReferenceCountUtil::release);
        pipelined.clear();
        closeUpstream();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
        closeUpstream();
        ctx.close();
    }
}
