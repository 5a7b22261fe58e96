package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.console.FormPost;
import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.limits.BodyProgressDeadline;
import dev.portcullis.gateway.limits.WorkspaceConnections;
import dev.portcullis.gateway.observe.Exchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request (or HTTP/2 stream) through the proxy, from its head to its last byte: it owns the
 * request's state as an {@link ExchangePhase}, its bandwidth gates, its access-log record, its
 * lease under the workspace connection limits and its workspace connection. Its stages run in
 * order — route ({@link RequestRouting}), access ({@link AccessStage}), forward (lease, pool,
 * head, body) — and every stage finishes on the client channel's event loop: a verdict that
 * waited for an issuer's keys is handed back to it. The workspace side reports through
 * {@link UpstreamListener}; the phase decides what a report may still do, so one request gets
 * exactly one answer. The client is only a {@link ClientSide} (read, write, end): {@link
 * ProxyFrontendHandler} is one, which feeds it reads and handles what is the connection's
 * (pipelining, drain, idle). The gateway's own answers are {@link GatewayAnswers}'.
 *
 * <p>One object serves the requests of a connection one after the other (reset at each head), so
 * a keep-alive connection allocates no exchange per request.
 */
final class ProxyExchange {
    private static final Logger log = LoggerFactory.getLogger(ProxyExchange.class);
    // RFC 9110 §9.2.2; only these are sent again when a reused connection fails before answering.
    private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
            HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);
    private final ProxySettings settings;
    private final int listenerPort;
    private final AccessStage accessStage;
    private final ClientSide client;
    private Channel upstream;
    private UpstreamResponseHandler upstreamHandler;
    private boolean upstreamReused;
    // The head waits on a connected workspace for the first body chunk (mustHoldHeadForBody).
    private boolean headHeld;
    private Channel connecting;
    // Body chunks that arrived with the request head, before a workspace connection was ready.
    private final Queue<HttpContent> waitingForConnection = new ArrayDeque<>();
    // What the access log and the metrics record of the current request.
    private Exchange observed;
    private HttpRequest forwardedHead;
    private RequestRouting.Routed routed;
    private ExchangePhase phase = ExchangePhase.HEAD;
    private boolean requestFullyReceived;
    private long requestBodyBytes;
    private boolean retried;
    private boolean keepAlive;
    private boolean webSocketUpgrade;
    // The current request's two flows in the workspace's bandwidth share (fairness); null between requests.
    private BandwidthGate toWorkspaceGate;
    private BandwidthGate toClientGate;
    private String gatesWorkspace;
    // The current request's hold under the workspace connection limits; null between requests.
    private WorkspaceConnections.Lease workspaceLease;
    private String user;
    private final BodyProgressDeadline bodyProgress;
    // The gateway's own answers: sign-in, console, the pages of refusals.
    private final GatewayAnswers answers;

    ProxyExchange(ClientSide client, ProxySettings settings, int listenerPort) {
        this.client = client;
        this.settings = settings;
        this.listenerPort = listenerPort;
        this.accessStage = AccessStage.of(settings);
        this.answers = new GatewayAnswers(client, settings, accessStage.offersSignIn(), this::sendAnswer);
        this.bodyProgress = new BodyProgressDeadline(client.eventLoop(), settings.timeouts().requestBodyProgress(),
                this::bodyStalled);
    }

    ExchangePhase phase() {
        return phase;
    }

    /** Whether the current request's last byte arrived (the response may still be flowing). */
    boolean requestFullyReceived() {
        return requestFullyReceived;
    }

    /** The connection drains: the response in flight, if any, is its last. */
    void lastOnConnection() {
        keepAlive = false;
    }

    /**
     * The client's side failed (a stream reset for a broken frame, say): no answer may follow. A
     * request in progress is logged as cut short: 400 with the HTTP/2 error when the client broke
     * the protocol ({@code stream-error-protocol-error}), 499 {@code client-error} for anything else.
     */
    void clientFailed(Throwable cause) {
        if (observed != null && phase.inProgress()) {
            Http2Exception protocolError = Http2CodecUtil.getEmbeddedHttp2Exception(cause);
            if (protocolError != null) {
                observed.cutShort(400, "stream-error-" + errorCode(protocolError.error()));
            } else {
                observed.cutShort(499, "client-error");
            }
            observed.finish();
        }
        // Before the workspace connection closes: its close must not answer a request that is being
        // reset (a 502 on a stream the codec resets for a broken content-length, say).
        phase = ExchangePhase.CLOSED;
        closeUpstream();
    }

    /** The client reset its HTTP/2 stream with {@code errorCode}: a request in progress is logged 499 {@code client-reset-cancel}, say. */
    void clientReset(long errorCode) {
        if (observed != null && phase.inProgress()) {
            Http2Error error = Http2Error.valueOf(errorCode); // null for a code RFC 9113 does not define
            observed.cutShort(499, "client-reset-" + (error == null ? "0x" + Long.toHexString(errorCode) : errorCode(error)));
        }
    }

    /**
     * The connection was silent for {@code timeouts.idle} and closes: a request in progress is
     * logged {@code idle-timeout}, 408 while its body was awaited, 504 while the workspace's answer was.
     */
    void idleTimedOut() {
        if (observed != null && phase.inProgress()) {
            observed.cutShort(requestFullyReceived ? 504 : 408, "idle-timeout");
        }
    }

    /** The client's connection or stream closed: everything the request held is given back. */
    void clientClosed() {
        boolean cutShort = phase.inProgress();
        phase = ExchangePhase.CLOSED;
        answers.forgetBody();
        if (observed != null && cutShort) {
            observed.cutShort(499, "client-closed"); // unless an earlier cause was given
            observed.finish(); // logged with what it got to
        }
        releaseWaiting();
        closeGates();
        releaseWorkspaceLease();
        bodyProgress.stop();
        closeUpstream();
    }

    /**
     * A decoded part of the request from either client side: a head (over HTTP/2, a whole request
     * when its HEADERS ended the stream: the head goes on its own, then the rest as the last
     * content) or a part of the body. Not called once the gateway answered the request.
     *
     * @param lastOnConnection the connection is draining: this request's response is its last
     */
    void receive(HttpObject part, boolean lastOnConnection) {
        HttpObject message = part;
        if (part instanceof HttpRequest request) {
            head(request, lastOnConnection);
            if (part instanceof FullHttpRequest full && phase != ExchangePhase.ANSWERED) {
                message = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            }
        }
        if (message instanceof HttpContent content && phase != ExchangePhase.ANSWERED) {
            content(content);
        } else {
            ReferenceCountUtil.release(message);
        }
    }

    /**
     * A request head arrived: route it, put it through the access stage, then forward it. The
     * gateway's own paths (sign-in, the login host, the console) are taken by {@link GatewayAnswers}
     * and never reach a workspace.
     *
     * @param lastOnConnection the connection is draining: this request's response is its last
     */
    private void head(HttpRequest request, boolean lastOnConnection) {
        observed = new Exchange(settings.metrics(), client.remoteAddress(),
                request.method().name(), request.uri());
        switch (answers.take(request)) {
            case EVENT_STREAM -> {
                phase = ExchangePhase.ANSWERED; // the console writes to this channel until it closes
                observed.answeredByGateway(200, "console-audit-stream");
                observed.finish();
                return;
            }
            case READING_BODY -> {
                // The console decides once it has the body; nothing goes to a workspace.
                phase = ExchangePhase.AUTHORIZING;
                requestFullyReceived = false;
                if (!(request instanceof FullHttpRequest)) {
                    client.read(); // the body follows on its own
                }
                return;
            }
            case ANSWERING -> {
                phase = ExchangePhase.ANSWERED; // the login host and the gateway's own paths: nothing goes to a workspace
                return;
            }
            case NOT_OURS -> { }
        }
        switch (RequestRouting.route(request, settings)) {
            case RequestRouting.Refused refused -> {
                routed = null; // a page must not name the previous request's workspace
                answer(refused.error(), refused.detail());
            }
            case RequestRouting.Routed route -> {
                routed = route;
                user = null;
                phase = ExchangePhase.AUTHORIZING;
                requestFullyReceived = false;
                requestBodyBytes = 0;
                retried = false;
                keepAlive = HttpUtil.isKeepAlive(request) && !lastOnConnection;
                webSocketUpgrade = ForwardedRequests.isWebSocketUpgrade(request);
                observed.routedTo(route.target().workspaceId(), route.target().port());
                forwardedHead = ForwardedRequests.toWorkspace(request, route.target(),
                        client.remoteAddress(), listenerPort, webSocketUpgrade,
                        route.forwardedHeader());
                authorizeThenForward(request);
            }
        }
    }

    /**
     * Nothing of the request reaches the workspace before its verdict ({@link AccessStage}). A
     * verdict that is ready at once (open access, what this connection proved before, or a token in
     * the cache) is acted on right here; one that waited for an issuer's keys comes back to this
     * channel's event loop.
     */
    private void authorizeThenForward(HttpRequest request) {
        RequestAccess.Verdict verdict = accessStage.decide(client, request, forwardedHead, routed, settings,
                later -> client.eventLoop().execute(() -> onVerdict(later)));
        if (verdict != null) {
            onVerdict(verdict);
        }
    }

    private void onVerdict(RequestAccess.Verdict verdict) {
        if (phase != ExchangePhase.AUTHORIZING || !client.isActive()) {
            return;
        }
        switch (verdict) {
            case RequestAccess.Allowed allowed -> {
                authenticatedAs(allowed.user());
                accessStage.allowed(client, allowed, routed);
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
            observed.authenticatedAs(user);
        }
    }

    /** Takes an idle workspace connection from the pool, or opens one; then sends the head. */
    private void borrowUpstream(boolean freshOnly) {
        phase = ExchangePhase.CONNECTING;
        if (!routed.mayBeListening()) {
            // Only after authorization: whether a port listens is nobody's business but those who may reach it.
            answer(ProxyError.PORT_NOT_LISTENING, "Nothing listens on port " + routed.target().port() + " of workspace '"
                    + routed.target().workspaceId() + "' yet.");
            return;
        }
        if (!holdWorkspaceConnection()) {
            return;
        }
        UpstreamPool pool = settings.pools().forEventLoop(client.eventLoop());
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
        switch (settings.workspaceConnections().acquire(client.connection(), user, client.remoteAddress().getAddress(),
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
        if (!phase.inProgress() || requestFullyReceived) {
            return;
        }
        boolean responseStarted = upstreamHandler != null && upstreamHandler.responseStarted();
        closeUpstream(); // the workspace never sees the end of a body that stalled
        if (responseStarted) {
            client.close();
        } else {
            answer(ProxyError.REQUEST_BODY_TIMEOUT, "No more of the request body arrived within "
                    + settings.timeouts().requestBodyProgress().toMillis() + " ms.");
        }
    }

    private void useUpstream(Channel channel, boolean reused) {
        phase = ExchangePhase.STREAMING_REQUEST;
        upstream = channel;
        upstreamReused = reused;
        upstreamHandler = (UpstreamResponseHandler) channel.pipeline().get(PipelineNames.UPSTREAM);
        upstreamHandler.attach(upstreamEvents, settings.timeouts().responseHead());
        upstreamHandler.expectResponse(webSocketUpgrade, forwardedHead.method());
        openGates();
        channel.read();
        if (mustHoldHeadForBody()) {
            headHeld = true;
            bodyProgress.waitingForClient();
            client.readThrough(toWorkspaceGate); // the head goes with the first chunk, once that decoded cleanly
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
        return !client.isHttp2Stream() && !requestFullyReceived && waitingForConnection.isEmpty() && !webSocketUpgrade
                && HttpUtil.isTransferEncodingChunked(forwardedHead) && !HttpUtil.is100ContinueExpected(forwardedHead);
    }

    /** A part of the request body (the last one carries the trailers). */
    private void content(HttpContent content) {
        if (answers.readingBody()) {
            switch (answers.bodyPart(content)) {
                case MORE -> client.read();
                case TOO_LARGE -> answer(ProxyError.BODY_TOO_LARGE,
                        "A console request's body is at most " + FormPost.MAX_BODY_BYTES + " bytes.");
                case COMPLETE -> requestFullyReceived = true; // pipelined requests wait for the console's answer
            }
            return;
        }
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
                client.close();
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
            observed.bytesToWorkspace(content.content().readableBytes());
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
                if (phase == ExchangePhase.STREAMING_REQUEST) {
                    phase = ExchangePhase.AWAITING_RESPONSE;
                }
                handler.requestSent();
            } else if (!requestFullyReceived) {
                bodyProgress.waitingForClient();
                client.readThrough(gate);
            }
        });
    }

    /** Called by the upstream side with each part of the response, in order. */
    private ChannelFuture writeResponse(HttpObject message) {
        if (message instanceof HttpResponse response) {
            observed.responseHead(response.status().code());
            if (response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
                phase = ExchangePhase.STREAMING_RESPONSE;
            }
        }
        if (message instanceof HttpContent content) {
            observed.bytesToClient(content.content().readableBytes());
            toClientGate.charge(content.content().readableBytes());
        }
        return client.write(message);
    }

    /** The request's share for the response direction: the upstream side reads through it. */
    private BandwidthGate toClientGate() {
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
    private void prepareResponseHead(HttpResponse response) {
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
    }

    /** The workspace finished its response; its connection is pooled, the client's serves on or closes. */
    private void responseComplete(ChannelFuture lastWrite, boolean upstreamReusable) {
        phase = ExchangePhase.HEAD;
        observed.finish();
        closeGates();
        releaseWorkspaceLease();
        bodyProgress.stop();
        Channel used = upstream;
        upstreamHandler.detach();
        upstream = null;
        upstreamHandler = null;
        if (upstreamReusable && requestFullyReceived) {
            settings.pools().forEventLoop(client.eventLoop()).release(used);
        } else {
            used.close();
        }
        client.responseEnded(lastWrite, !keepAlive || !requestFullyReceived);
    }

    /**
     * The workspace accepted a WebSocket upgrade. The 101 passes through the HTTP encoder now, on
     * this event loop, and both pipelines drop HTTP at once, so no byte is parsed as HTTP afterwards.
     * The workspace connection now belongs to the tunnel and never returns to the pool.
     */
    private void switchToRelay(HttpResponse switchingProtocols) {
        phase = ExchangePhase.TUNNEL;
        observed.responseHead(switchingProtocols.status().code());
        observed.becameTunnel();
        client.write(switchingProtocols);
        client.switchToTunnel(new ByteRelayHandler(upstream, observed, true, toWorkspaceGate),
                upstream.pipeline(), new ByteRelayHandler(client.connection(), observed, false, toClientGate));
        toWorkspaceGate = null; // the tunnel's relays own the flows now
        toClientGate = null;
        WorkspaceConnections.Lease tunnelLease = workspaceLease; // held for as long as the tunnel is open
        workspaceLease = null;
        if (tunnelLease != null) {
            upstream.closeFuture().addListener(closed -> tunnelLease.release());
        }
        client.read();
        upstream.read();
    }

    /** The workspace failed before its response head: answer in its place, or close if it is too late. */
    private void upstreamFailed(ProxyError error, String detail, boolean responseStarted) {
        closeUpstream();
        if (!phase.inProgress()) {
            return; // answered, reset or closed already: that answer stands
        }
        if (responseStarted || phase == ExchangePhase.STREAMING_RESPONSE) {
            client.close(); // cut mid-response: closing is the only honest signal left
            return;
        }
        answer(error, detail);
    }

    /** The current workspace connection closed; a reused one that never answered may be retried once. */
    private void upstreamClosed(Channel channel, boolean unanswered, boolean responseStarted) {
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

    /** Answers the current request from the gateway (unless it was answered already) and closes the connection after the answer. */
    void answer(ProxyError error, String detail) {
        answer(error, detail, List.of(), false, null);
    }

    /**
     * @param reasons the policy's reason codes, listed in the answer
     * @param clearCookie whether the answer expires the gateway's cookie (it no longer verifies)
     * @param user the verified user, named on a browser's page, or null
     */
    private void answer(ProxyError error, String detail, List<String> reasons, boolean clearCookie, String user) {
        if (phase.isFinal()) {
            return; // one answer per request: the first that happened wins
        }
        sendAnswer(answers.error(error, detail, reasons, clearCookie, user, routed, forwardedHead), error.code());
    }

    /** The gateway's own answer to the current request; the connection closes after it. */
    private void sendAnswer(FullHttpResponse response, String code) {
        phase = ExchangePhase.ANSWERED;
        answers.forgetBody();
        releaseWaiting();
        closeGates();
        releaseWorkspaceLease();
        bodyProgress.stop();
        if (observed == null) {
            observed = new Exchange(settings.metrics(), client.remoteAddress(), "-", "-");
        }
        observed.answeredByGateway(response.status().code(), code);
        observed.finish();
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        client.answered(client.write(response));
    }

    void closeUpstream() {
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

    /** An HTTP/2 error code as the access log writes it: {@code PROTOCOL_ERROR} → {@code protocol-error}. */
    private static String errorCode(Http2Error error) {
        return error.name().toLowerCase(Locale.ROOT).replace('_', '-');
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

    /** The workspace side's reports, in the order they happen, for the current request only. */
    private final UpstreamListener upstreamEvents = new UpstreamListener() {
        @Override
        public ChannelFuture responseHead(HttpResponse head) {
            prepareResponseHead(head);
            return writeResponse(head);
        }

        @Override
        public ChannelFuture responseContent(HttpContent content) {
            return writeResponse(content);
        }

        @Override
        public void responseEnded(ChannelFuture lastWrite, boolean reusable) {
            responseComplete(lastWrite, reusable);
        }

        @Override
        public void upgraded(HttpResponse switchingProtocols) {
            switchToRelay(switchingProtocols);
        }

        @Override
        public void failed(ProxyError error, String detail, boolean responseStarted) {
            upstreamFailed(error, detail, responseStarted);
        }

        @Override
        public void closed(Channel channel, boolean unanswered, boolean responseStarted) {
            upstreamClosed(channel, unanswered, responseStarted);
        }

        @Override
        public BandwidthGate responseGate() {
            return toClientGate();
        }
    };
}
