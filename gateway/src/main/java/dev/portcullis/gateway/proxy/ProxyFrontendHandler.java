package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.ConnectionAccess;
import dev.portcullis.gateway.console.FormPost;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.limits.BodyProgressDeadline;
import dev.portcullis.gateway.limits.WorkspaceConnections;
import dev.portcullis.gateway.observe.Exchange;
import dev.portcullis.gateway.pages.Pages;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one proxied connection (or HTTP/2 stream): routes each request by its Host,
 * borrows a connection to the workspace port from this event loop's pool, and streams the request
 * body with backpressure — the client is read again only after the previous chunk reached the
 * workspace. Requests on one connection are handled one at a time; the next is read when the
 * response has ended, and the workspace connection goes back to the pool.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);
    // RFC 9110 §9.2.2; only these are sent again when a reused connection fails before answering.
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);
    private static final int MAX_DISCARDED_AFTER_ANSWER = 64 * 1024;

    private final ProxySettings settings;
    private final int listenerPort;
    private ChannelHandlerContext ctx;
    private boolean started;

    private Channel upstream;
    private UpstreamResponseHandler upstreamHandler;
    private boolean upstreamReused;
    // The head waits on a connected workspace for the first body chunk (mustHoldHeadForBody).
    private boolean headHeld;
    private Channel connecting;
    // Body chunks that arrived with the request head, before a workspace connection was ready.
    private final Queue<HttpContent> waitingForConnection = new ArrayDeque<>();
    // Pipelined requests decoded from the same read as the current one; handled after its response.
    private final Queue<Object> pipelined = new ArrayDeque<>();

    private Exchange exchange;
    private HttpRequest forwardedHead;
    private RequestRouting.Routed routed;
    private boolean requestInProgress;
    private boolean requestFullyReceived;
    private long requestBodyBytes;
    private boolean retried;
    private boolean keepAlive;
    private boolean browser;
    private boolean webSocketUpgrade;
    private boolean answeredByGateway;
    // A console form post on a login host: its body is read (bounded), then the console answers.
    private FormPost consoleBody;
    private boolean draining;
    private ScheduledFuture<?> requestHeadDeadline;
    // HTTP/2: whether the client ended its stream, and what it sent after the gateway had answered.
    private boolean streamEnded;
    private long discardedAfterAnswer;
    // The current request's two flows in the workspace's bandwidth share (fairness); null between requests.
    private BandwidthGate toWorkspaceGate;
    private BandwidthGate toClientGate;
    private String gatesWorkspace;
    // The current request's hold under the workspace connection limits; null between requests.
    private WorkspaceConnections.Lease workspaceLease;
    private String user;
    private BodyProgressDeadline bodyProgress;

    public ProxyFrontendHandler(ProxySettings settings, int listenerPort) {
        this.settings = settings;
        this.listenerPort = listenerPort;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        bodyProgress = new BodyProgressDeadline(ctx.executor(), settings.timeouts().requestBodyProgress(), this::bodyStalled);
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

    /** An HTTP/2 stream exists only once its whole head arrived, and carries one request. */
    private boolean isHttp2Stream() {
        return ctx.channel() instanceof Http2StreamChannel;
    }

    /**
     * An absolute deadline for the next request head: a client that trickles a byte now and then is
     * closed when it passes, which an idle timer (reset by every byte) would never do.
     */
    private void armRequestHeadDeadline() {
        if (isHttp2Stream()) {
            return; // no head to wait for: a timer per stream would only cost (see docs/benchmarks.md)
        }
        long nanos = settings.timeouts().requestHead().toNanos();
        requestHeadDeadline = ctx.executor().schedule(() -> answer(ProxyError.REQUEST_HEAD_TIMEOUT,
                "The request head did not arrive within " + settings.timeouts().requestHead().toMillis() + " ms."),
                nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        streamEnded |= msg instanceof LastHttpContent;
        if (consoleBody != null) {
            readConsoleBody(msg);
            return;
        }
        if (answeredByGateway) {
            // The gateway answered this request itself and closes after the answer: drop the rest.
            int bytes = msg instanceof HttpContent content ? content.content().readableBytes() : 0;
            ReferenceCountUtil.release(msg);
            if (isHttp2Stream()) {
                discardAfterAnswer(bytes);
            }
            return;
        }
        if (requestInProgress && requestFullyReceived) {
            pipelined.add(msg); // bounded: nothing more is read until this response has ended
            return;
        }
        if (msg instanceof HttpRequest request) {
            onRequestHead(request);
            if (consoleBody != null) {
                readConsoleBody(msg); // a whole request in one object carries its body
                return;
            }
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
        browser = ErrorResponses.wantsPage(request.headers());
        if (SignInEndpoints.openedEventStream(request, settings, ctx.channel())) {
            answeredByGateway = true; // the console's audit stream: the console writes to this channel until it closes
            exchange.answeredByGateway(200, "console-audit-stream");
            exchange.finish();
            return;
        }
        consoleBody = SignInEndpoints.consoleBody(request, settings);
        if (consoleBody != null) {
            answeredByGateway = true; // the console on the login host: nothing goes to a workspace
            // A body that trickles in is cut off as a head would be.
            ctx.executor().schedule(() -> {
                if (consoleBody != null) {
                    ctx.close();
                }
            }, settings.timeouts().requestHead().toNanos(), TimeUnit.NANOSECONDS);
            return;
        }
        CompletableFuture<FullHttpResponse> signInAnswer = SignInEndpoints.answer(request, settings);
        if (signInAnswer != null) {
            answeredByGateway = true; // the login host and the gateway's own paths: nothing goes to a workspace
            sendWhenReady(signInAnswer);
            return;
        }
        switch (RequestRouting.route(request, settings)) {
            case RequestRouting.Refused refused -> {
                routed = null; // a page must not name the previous request's workspace
                answer(refused.error(), refused.detail());
            }
            case RequestRouting.Routed route -> {
                routed = route;
                user = null;
                requestInProgress = true;
                requestFullyReceived = false;
                requestBodyBytes = 0;
                retried = false;
                keepAlive = HttpUtil.isKeepAlive(request) && !draining;
                webSocketUpgrade = ForwardedRequests.isWebSocketUpgrade(request);
                exchange.routedTo(route.target().workspaceId(), route.target().port());
                forwardedHead = ForwardedRequests.toWorkspace(request, route.target(),
                        (InetSocketAddress) ctx.channel().remoteAddress(), listenerPort, webSocketUpgrade,
                        route.forwardedHeader());
                if (settings.access().isPresent()) {
                    authorizeThenForward(request, settings.access().get());
                } else {
                    borrowUpstream(false);
                }
            }
        }
    }

    private void sendWhenReady(CompletableFuture<FullHttpResponse> answer) {
        answer.whenComplete((response, failure) -> ctx.executor().execute(() -> {
            if (ctx.channel().isActive()) {
                sendAnswer(response != null ? response : ErrorResponses.create(ctx.alloc(),
                        ProxyError.UNAUTHENTICATED, "The sign-in could not be completed.", browser), "sign-in");
            } else if (response != null) {
                response.release();
            }
        }));
    }

    /** Collects a console post's body, then answers it. */
    private void readConsoleBody(Object msg) {
        boolean fits = true;
        boolean last = msg instanceof LastHttpContent;
        try {
            if (msg instanceof HttpContent content) {
                fits = consoleBody.append(content.content());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
        if (!fits) {
            consoleBody = null;
            answeredByGateway = false;
            answer(ProxyError.BODY_TOO_LARGE, "A console request's body is at most " + FormPost.MAX_BODY_BYTES + " bytes.");
        } else if (last) {
            FormPost complete = consoleBody;
            consoleBody = null;
            sendWhenReady(complete.complete());
        } else {
            ctx.read();
        }
    }

    /**
     * Nothing of the request reaches the workspace before its verdict ({@link RequestAccess}). A
     * verdict that is ready at once (what this connection proved before, or a token in the cache) is
     * acted on right here; one that waited for an issuer's keys comes back to this channel's event loop.
     */
    private void authorizeThenForward(HttpRequest request, AccessControl access) {
        RequestAccess.Verdict verdict = RequestAccess.check(access, ConnectionAccess.of(ctx.channel()), request,
                forwardedHead, routed.target(), settings.routes(), (InetSocketAddress) ctx.channel().remoteAddress(),
                later -> ctx.executor().execute(() -> onVerdict(later, access)));
        if (verdict != null) {
            onVerdict(verdict, access);
        }
    }

    private void onVerdict(RequestAccess.Verdict verdict, AccessControl access) {
        if (answeredByGateway || !ctx.channel().isActive()) {
            return;
        }
        switch (verdict) {
            case RequestAccess.Allowed allowed -> {
                authenticatedAs(allowed.user());
                access.grants().register(ctx.channel(), allowed.grant(), routed.address().getAddress(), routed.tls());
                borrowUpstream(false);
            }
            case RequestAccess.Refused refused -> {
                authenticatedAs(refused.user());
                answer(refused.error(), refused.detail(), refused.reasons(), refused.clearCookie(), refused.user());
            }
            case RequestAccess.TokenExchanged exchanged -> {
                authenticatedAs(exchanged.user());
                sendAnswer(ErrorResponses.redirectSettingCookie(exchanged.location(), exchanged.cookie()), "token-exchanged");
            }
            case RequestAccess.SignInRequired signIn -> sendAnswer(ErrorResponses.redirectSettingCookie(signIn.location(),
                    signIn.clearCookie() ? ErrorResponses.EXPIRED_GATEWAY_COOKIE : null), "sign-in-required");
            case RequestAccess.PreflightRefused ignored -> sendAnswer(ErrorResponses.preflightRefused(), "preflight-refused");
        }
    }

    private void authenticatedAs(String user) {
        this.user = user;
        if (user != null) {
            exchange.authenticatedAs(user);
        }
    }

    /** Takes an idle workspace connection from the pool, or opens one; then sends the head. */
    private void borrowUpstream(boolean freshOnly) {
        if (!routed.mayBeListening()) {
            // Only after authorization: whether a port listens is nobody's business but those who may reach it.
            answer(ProxyError.PORT_NOT_LISTENING, "Nothing listens on port " + routed.target().port() + " of workspace '"
                    + routed.target().workspaceId() + "' yet.");
            return;
        }
        if (!holdWorkspaceConnection()) {
            return;
        }
        UpstreamPool pool = settings.pools().forEventLoop(ctx.channel().eventLoop());
        UpstreamPool.Key key = new UpstreamPool.Key(routed.target().workspaceId(), routed.address(), routed.tls());
        Channel idle = freshOnly ? null : pool.takeIdle(key);
        if (idle != null) {
            useUpstream(idle, true);
            return;
        }
        WorkspaceConnections.Refusal noDescriptor = settings.workspaceConnections().openDescriptor();
        if (noDescriptor != null) {
            refuse(noDescriptor);
            return;
        }
        ChannelFuture opening = pool.connect(key, routed.target().hostName());
        settings.workspaceConnections().releaseDescriptorOnClose(opening.channel());
        connecting = opening.channel();
        opening.addListener((ChannelFutureListener) done -> {
            if (done.channel() != connecting) {
                done.channel().close(); // the client went away while this connection was opening
                return;
            }
            connecting = null;
            if (done.isSuccess()) {
                useUpstream(done.channel(), false);
            } else {
                done.channel().close(); // its descriptor goes back to the budget
                answer(ProxyError.PORT_NOT_SERVED, "Port " + routed.target().port() + " of workspace '"
                        + routed.target().workspaceId() + "' is not served: " + describeConnectFailure(done.cause()) + ".");
            }
        });
    }

    /**
     * The request's lease under the workspace connection limits (a retry keeps the one it has);
     * false when a limit refused it and the request was answered 503.
     */
    private boolean holdWorkspaceConnection() {
        if (workspaceLease != null) {
            return true;
        }
        Channel connection = isHttp2Stream() ? ctx.channel().parent() : ctx.channel();
        InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
        switch (settings.workspaceConnections().acquire(connection, user, client.getAddress(),
                routed.target().workspaceId())) {
            case WorkspaceConnections.Lease lease -> {
                workspaceLease = lease;
                return true;
            }
            case WorkspaceConnections.Refusal refusal -> {
                refuse(refusal);
                return false;
            }
        }
    }

    private void refuse(WorkspaceConnections.Refusal refusal) {
        answer(refusal.limit() == WorkspaceConnections.Limit.DESCRIPTORS ? ProxyError.GATEWAY_BUSY
                : ProxyError.WORKSPACE_CONNECTION_LIMIT, refusal.detail());
    }

    private void releaseWorkspaceLease() {
        if (workspaceLease != null) {
            workspaceLease.release();
            workspaceLease = null;
        }
    }

    /** The client kept the gateway waiting for the rest of the body for {@code timeouts.requestBodyProgress}. */
    private void bodyStalled() {
        if (!requestInProgress || requestFullyReceived || answeredByGateway) {
            return;
        }
        boolean responseStarted = upstreamHandler != null && upstreamHandler.responseStarted();
        closeUpstream(); // the workspace never sees the end of a body that stalled
        if (responseStarted) {
            ctx.close();
        } else {
            answer(ProxyError.REQUEST_BODY_TIMEOUT, "No more of the request body arrived within "
                    + settings.timeouts().requestBodyProgress().toMillis() + " ms.");
        }
    }

    private void useUpstream(Channel channel, boolean reused) {
        upstream = channel;
        upstreamReused = reused;
        upstreamHandler = (UpstreamResponseHandler) channel.pipeline().get(PipelineNames.UPSTREAM);
        upstreamHandler.attach(this, settings.timeouts().responseHead());
        upstreamHandler.expectResponse(webSocketUpgrade, forwardedHead.method());
        openGates();
        channel.read();
        if (mustHoldHeadForBody()) {
            headHeld = true;
            bodyProgress.waitingForClient();
            toWorkspaceGate.read(ctx); // the head goes with the first chunk, once that decoded cleanly
            return;
        }
        forward(forwardedHead);
        while (!waitingForConnection.isEmpty()) {
            forward(waitingForConnection.poll());
        }
    }

    /**
     * A chunked HTTP/1.1 body can be malformed from its first byte; its head waits until the first
     * chunk decoded cleanly, so such a request never reaches the workspace at all (issue 17, item 7).
     * Not with {@code Expect: 100-continue}: that client waits for the workspace before sending a body.
     */
    private boolean mustHoldHeadForBody() {
        return !isHttp2Stream() && !requestFullyReceived && waitingForConnection.isEmpty() && !webSocketUpgrade
                && HttpUtil.isTransferEncodingChunked(forwardedHead) && !HttpUtil.is100ContinueExpected(forwardedHead);
    }

    private void onRequestContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            // A broken body must never look complete to the workspace: drop its connection unfinished.
            closeUpstream();
            RequestRouting.Refused refused = RequestRouting.malformed(content.decoderResult().cause());
            answer(refused.error(), refused.detail());
            return;
        }
        bodyProgress.bodyArrived();
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
        if (content instanceof LastHttpContent last) {
            requestFullyReceived = true;
            bodyProgress.stop();
            RequestTrailers.stripForWorkspace(last.trailingHeaders());
        }
        if (upstream == null) {
            waitingForConnection.add(content);
            return;
        }
        if (headHeld) {
            headHeld = false;
            forward(forwardedHead);
        }
        forward(content);
    }

    /** Writes toward the workspace; the client is read again once the write completed. */
    private void forward(Object message) {
        boolean last = message instanceof LastHttpContent;
        if (message instanceof HttpContent content) {
            exchange.bytesToWorkspace(content.content().readableBytes());
            toWorkspaceGate.charge(content.content().readableBytes());
        }
        UpstreamResponseHandler handler = upstreamHandler;
        BandwidthGate gate = toWorkspaceGate;
        upstream.writeAndFlush(message).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                // Its close reaches upstreamClosed, which retries or answers for the request.
                log.debug("write to workspace {} failed", written.channel().remoteAddress(), written.cause());
                written.channel().close();
            } else if (last) {
                handler.requestSent();
            } else if (!requestFullyReceived) {
                bodyProgress.waitingForClient();
                gate.read(ctx);
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
            toClientGate.charge(content.content().readableBytes());
        }
        return ctx.writeAndFlush(message);
    }

    /** The request's share for the response direction: the upstream side reads through it. */
    BandwidthGate toClientGate() {
        return toClientGate;
    }

    /** Joins the workspace's bandwidth share for this request (once; a retry keeps the flows). */
    private void openGates() {
        String workspace = routed.target().workspaceId();
        if (toWorkspaceGate != null && !workspace.equals(gatesWorkspace)) {
            closeGates(); // never charge one workspace's bytes to another's share
        }
        if (toWorkspaceGate == null) {
            toWorkspaceGate = settings.fairness().open(workspace);
            toClientGate = settings.fairness().open(workspace);
            gatesWorkspace = workspace;
        }
    }

    private void closeGates() {
        if (toWorkspaceGate != null) {
            toWorkspaceGate.close();
            toClientGate.close();
            toWorkspaceGate = null;
            toClientGate = null;
        }
    }

    /** The response head: after a request that asked the client connection to close, say so. */
    void prepareResponseHead(HttpResponse response) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    /** The workspace finished its response; its connection is pooled, the client's serves on or closes. */
    void responseComplete(ChannelFuture lastWrite, boolean upstreamReusable) {
        requestInProgress = false;
        exchange.finish();
        closeGates();
        releaseWorkspaceLease();
        bodyProgress.stop();
        Channel used = upstream;
        upstreamHandler.detach();
        upstream = null;
        upstreamHandler = null;
        if (upstreamReusable && requestFullyReceived) {
            settings.pools().forEventLoop(ctx.channel().eventLoop()).release(used);
        } else {
            used.close();
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
     * The workspace connection now belongs to the tunnel and never returns to the pool.
     */
    void switchToRelay(HttpResponse switchingProtocols) {
        exchange.responseHead(switchingProtocols.status().code());
        exchange.becameTunnel();
        ctx.writeAndFlush(switchingProtocols);
        ChannelPipeline client = ctx.pipeline();
        client.replace(this, PipelineNames.RELAY, new ByteRelayHandler(upstream, exchange, true, toWorkspaceGate));
        client.remove(PipelineNames.HTTP_CODEC);
        ChannelPipeline workspace = upstream.pipeline();
        workspace.replace(PipelineNames.UPSTREAM, PipelineNames.RELAY,
                new ByteRelayHandler(ctx.channel(), exchange, false, toClientGate));
        // Access that ends for this tunnel ends with a close frame the app can read (code and reason).
        ctx.channel().attr(OpenGrants.CLOSE_WITH_REASON).set((channel, reason) -> ByteRelayHandler.closeWithFrame(
                channel, reason.startsWith("workspace-") ? 1001 : 1008, reason));
        toWorkspaceGate = null; // the tunnel's relays own the flows now
        toClientGate = null;
        WorkspaceConnections.Lease tunnelLease = workspaceLease; // held for as long as the tunnel is open
        workspaceLease = null;
        if (tunnelLease != null) {
            upstream.closeFuture().addListener(closed -> tunnelLease.release());
        }
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

    /** The current workspace connection closed; a reused one that never answered may be retried once. */
    void upstreamClosed(Channel channel, boolean unanswered, boolean responseStarted) {
        if (channel != upstream) {
            return;
        }
        headHeld = false;
        upstreamHandler.detach();
        upstream = null;
        upstreamHandler = null;
        if (!unanswered) {
            return;
        }
        if (mayRetry(responseStarted)) {
            retried = true;
            log.debug("workspace {} closed a reused connection before answering; retrying once", channel.remoteAddress());
            waitingForConnection.add(LastHttpContent.EMPTY_LAST_CONTENT);
            borrowUpstream(true);
            return;
        }
        upstreamFailed(ProxyError.PORT_NOT_SERVED, "The workspace closed the connection before it answered.", responseStarted);
    }

    /**
     * A request is sent again only when nothing of the answer arrived, the connection was a pooled
     * one (the workspace may have closed it just as it was reused), the method is idempotent and the
     * request had no body, so sending it twice cannot do anything twice.
     */
    private boolean mayRetry(boolean responseStarted) {
        return upstreamReused && !retried && !responseStarted && requestFullyReceived && requestBodyBytes == 0
                && !webSocketUpgrade && IDEMPOTENT.contains(forwardedHead.method());
    }

    /** Answers the current request from the gateway and closes the connection after the answer. */
    private void answer(ProxyError error, String detail) {
        answer(error, detail, List.of(), false, null);
    }

    /**
     * @param reasons the policy's reason codes, listed in the answer
     * @param clearCookie whether the answer expires the gateway's cookie (it no longer verifies)
     * @param user the verified user, named on a browser's page, or null
     */
    private void answer(ProxyError error, String detail, List<String> reasons, boolean clearCookie, String user) {
        if (answeredByGateway) {
            return;
        }
        Pages.Context page = !browser ? null : routed == null ? new Pages.Context(null, null, 0, user)
                : new Pages.Context(routed.target().hostName(), routed.target().workspaceId(), routed.target().port(), user);
        if (page != null && routed != null && settings.access().flatMap(AccessControl::signIn).isPresent()) {
            page = page.withSignIn(SignIn.signInPath(forwardedHead == null ? "/" : forwardedHead.uri()), SignIn.LOGOUT_PATH);
        }
        var response = ErrorResponses.create(ctx.alloc(), error, detail, reasons, page, clearCookie);
        if (clearCookie) {
            response.headers().set(HttpHeaderNames.SET_COOKIE, ErrorResponses.EXPIRED_GATEWAY_COOKIE);
        }
        sendAnswer(response, error.code());
    }

    /** The gateway's own answer to the current request; the connection closes after it. */
    private void sendAnswer(FullHttpResponse response, String code) {
        answeredByGateway = true;
        requestInProgress = false;
        releaseWaiting();
        closeGates();
        releaseWorkspaceLease();
        bodyProgress.stop();
        if (exchange == null) {
            exchange = new Exchange(settings.metrics(), (InetSocketAddress) ctx.channel().remoteAddress(), "-", "-");
        }
        exchange.answeredByGateway(response.status().code(), code);
        exchange.finish();
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ChannelFuture written = ctx.writeAndFlush(response);
        if (isHttp2Stream() && !streamEnded) {
            written.addListener(done -> ctx.read()); // the rest of the request is read and dropped
            // ...for as long as a request head may take, or a client could hold the stream (and keep
            // its connection from counting as idle) by never ending it.
            ctx.executor().schedule(() -> ctx.close(), settings.timeouts().requestHead().toNanos(), TimeUnit.NANOSECONDS);
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * An HTTP/2 stream the gateway answered early is read to its end rather than reset (RFC 9113
     * §8.1), so the codec still checks the rest of it (content-length against DATA, say) and
     * answers a malformed one with PROTOCOL_ERROR. Flow control bounds each read; past
     * {@link #MAX_DISCARDED_AFTER_ANSWER} bytes, or {@code timeouts.requestHead} after the answer,
     * the stream is reset.
     */
    private void discardAfterAnswer(int bytes) {
        discardedAfterAnswer += bytes;
        if (streamEnded || discardedAfterAnswer > MAX_DISCARDED_AFTER_ANSWER) {
            ctx.close();
        } else {
            ctx.read();
        }
    }

    private void closeUpstream() {
        headHeld = false;
        if (connecting != null) {
            connecting.close();
            connecting = null;
        }
        if (upstream != null) {
            upstreamHandler.detach();
            upstream.close();
            upstream = null;
            upstreamHandler = null;
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
        closeGates();
        releaseWorkspaceLease();
        bodyProgress.stop();
        pipelined.forEach(ReferenceCountUtil::release);
        pipelined.clear();
        closeUpstream();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
        closeUpstream();
        if (isHttp2Stream() && Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            // At the pipeline's end Netty resets the stream with the error's own code (PROTOCOL_ERROR,
            // FLOW_CONTROL_ERROR, ...); closing here would reset it with CANCEL (RFC 9113 §5.4.2).
            ctx.fireExceptionCaught(cause);
            return;
        }
        ctx.close();
    }
}
