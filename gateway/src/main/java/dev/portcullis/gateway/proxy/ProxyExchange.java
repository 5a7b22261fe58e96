package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.console.FormPost;
import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.limits.WorkspaceConnections;
import dev.portcullis.gateway.observe.Exchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request (or HTTP/2 stream) through the proxy, from its head to its last byte: this class
 * holds the request's {@link ExchangePhase} and is the only one that moves it. Its stages run in
 * order — route ({@link RequestRouting}), access ({@link AccessStage}), forward — and every stage
 * finishes on the client's event loop: a verdict that waited for an issuer's keys is handed back to
 * it. The phase decides what a late event may still do, so one request gets exactly one answer.
 *
 * <p>Who moves the phase, and where the work is:
 * <ul>
 *   <li>the client side ({@link ClientSide}: {@link ProxyFrontendHandler} for an HTTP/1.1 connection,
 *       {@link Http2ClientStream} for a stream) feeds {@link #receive} and reports its end
 *       ({@link #clientClosed}, {@link #clientFailed}, {@link #clientReset}, {@link #idleTimedOut});</li>
 *   <li>the gateway's own answers (sign-in, console, refusal pages) are {@link GatewayAnswers}';</li>
 *   <li>the workspace connection and the lease under the connection limits: {@link WorkspaceLink};</li>
 *   <li>the head and body on their way to the workspace, with backpressure: {@link RequestToWorkspace};</li>
 *   <li>the response: the workspace side reports through {@link UpstreamListener} ({@link #upstreamEvents}),
 *       its parts go to the client through {@link ResponseToClient};</li>
 *   <li>how a request that ended early is logged: {@link CutShort};</li>
 *   <li>the bandwidth shares both directions draw from: {@link ExchangeGates}.</li>
 * </ul>
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
    private final ConnectionForwarding connection;
    private final AccessStage accessStage;
    private final ClientSide client;
    private final GatewayAnswers answers;
    private final WorkspaceLink workspace;
    private final ExchangeGates gates;
    private final RequestToWorkspace request;
    private final ResponseToClient response;
    private ExchangePhase phase = ExchangePhase.HEAD;
    // What the access log and the metrics record of the current request.
    private Exchange observed;
    private RequestRouting.Routed routed;
    private String user;
    private boolean keepAlive;
    private boolean webSocketUpgrade;
    private boolean retried;

    /** @param connection what the requests of the client's connection share on their way to workspaces */
    ProxyExchange(ClientSide client, ProxySettings settings, ConnectionForwarding connection) {
        this.client = client;
        this.settings = settings;
        this.connection = connection;
        this.accessStage = AccessStage.of(settings);
        this.answers = new GatewayAnswers(client, settings, accessStage.offersSignIn(), this::sendAnswer);
        this.workspace = new WorkspaceLink(client, settings);
        this.gates = new ExchangeGates(settings.fairness());
        this.request = new RequestToWorkspace(client, settings, workspace, gates, this::bodyStalled, this::requestSent);
        this.response = new ResponseToClient(client, gates);
    }

    ExchangePhase phase() {
        return phase;
    }

    /** Whether the current request's last byte arrived (the response may still be flowing). */
    boolean requestFullyReceived() {
        return request.fullyReceived();
    }

    /** The connection drains: the response in flight, if any, is its last. */
    void lastOnConnection() {
        keepAlive = false;
    }

    // ---- the client's side ----

    /**
     * A decoded part of the request from either client side: a head (over HTTP/2, a whole request
     * when its HEADERS ended the stream: the head goes on its own, then the rest as the last
     * content) or a part of the body. Not called once the gateway answered the request.
     *
     * @param lastOnConnection the connection is draining: this request's response is its last
     */
    void receive(HttpObject part, boolean lastOnConnection) {
        receiveInRead(part, lastOnConnection);
        request.flushWrites();
    }

    /**
     * As {@link #receive}, for one of several parts the client side hands over in one read: what
     * they cause to be written to the workspace waits for {@link #clientReadComplete}, which the
     * client side calls when the read ends, and leaves in one flush.
     */
    void receiveInRead(HttpObject part, boolean lastOnConnection) {
        request.batchWrites();
        HttpObject message = part;
        if (part instanceof HttpRequest head) {
            head(head, lastOnConnection);
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

    /** The client side's read ended: the request's parts it delivered leave for the workspace in one flush. */
    void clientReadComplete() {
        request.flushWrites();
    }

    /**
     * The client's side failed (a stream reset for a broken frame, say): no answer may follow. A
     * request in progress is logged as cut short: 400 with the HTTP/2 error when the client broke
     * the protocol ({@code stream-error-protocol-error}), 499 {@code client-error} for anything else.
     */
    void clientFailed(Throwable cause) {
        if (observed != null && phase.inProgress()) {
            logCutShort(CutShort.clientFailed(cause));
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
            logCutShort(CutShort.clientReset(errorCode));
        }
    }

    /**
     * The connection was silent for {@code timeouts.idle} and closes: a request in progress is
     * logged {@code idle-timeout}, 408 while its body was awaited, 504 while the workspace's answer was.
     */
    void idleTimedOut() {
        if (observed != null && phase.inProgress()) {
            logCutShort(CutShort.idleTimedOut(request.fullyReceived()));
        }
    }

    /**
     * The grant the client side served under was revoked ({@code reason}: {@code access-withdrawn},
     * {@code token-expired}, ...), and the connection or stream is about to end: a request in progress
     * (or a tunnel) is logged {@code revoked-<reason>}, not as if the client had gone away; without a
     * response head, with the status the refusal of its next request would have.
     */
    void revoked(String reason) {
        if (observed != null && (phase.inProgress() || phase == ExchangePhase.TUNNEL)) {
            logCutShort(CutShort.revoked(reason));
        }
    }

    /** Unless an earlier cause was given: the first stands (a stream reset, then its close). */
    private void logCutShort(CutShort cutShort) {
        observed.cutShort(cutShort.status(), cutShort.reason());
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
        request.abandon();
        gates.close();
        workspace.releaseLease();
        closeUpstream();
    }

    // ---- HEAD → AUTHORIZING: the gateway's own answers, then the route ----

    /**
     * A request head arrived: route it, put it through the access stage, then forward it. The
     * gateway's own paths (sign-in, the login host, the console) are taken by {@link GatewayAnswers}
     * and never reach a workspace.
     *
     * @param lastOnConnection the connection is draining: this request's response is its last
     */
    private void head(HttpRequest head, boolean lastOnConnection) {
        observed = new Exchange(settings.metrics(), client.remoteAddress(), head.method().name(), head.uri());
        switch (answers.take(head)) {
            case EVENT_STREAM -> {
                phase = ExchangePhase.ANSWERED; // the console writes to this channel until it closes
                observed.answeredByGateway(200, "console-audit-stream");
                observed.finish();
                return;
            }
            case READING_BODY -> {
                // The console decides once it has the body; nothing goes to a workspace.
                phase = ExchangePhase.AUTHORIZING;
                request.awaitBody();
                if (!(head instanceof FullHttpRequest)) {
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
        switch (RequestRouting.route(head, settings, connection)) {
            case RequestRouting.Refused refused -> {
                routed = null; // a page must not name the previous request's workspace
                answer(refused.error(), refused.detail());
            }
            case RequestRouting.Routed route -> {
                routed = route;
                user = null;
                phase = ExchangePhase.AUTHORIZING;
                retried = false;
                keepAlive = HttpUtil.isKeepAlive(head) && !lastOnConnection;
                webSocketUpgrade = ForwardedRequests.isWebSocketUpgrade(head);
                observed.routedTo(route.target().workspaceId(), route.target().port());
                request.start(ForwardedRequests.toWorkspace(head), observed);
                authorizeThenForward(head);
            }
        }
    }

    // ---- AUTHORIZING → CONNECTING ----

    /**
     * Nothing of the request reaches the workspace before its verdict ({@link AccessStage}). A
     * verdict that is ready at once (open access, what this connection proved before, or a token in
     * the cache) is acted on right here; one that waited for an issuer's keys comes back to this
     * channel's event loop.
     */
    private void authorizeThenForward(HttpRequest head) {
        RequestAccess.Verdict verdict = accessStage.decide(client, connection, head, request.head(), routed, settings,
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
                ForwardedRequests.readyForWorkspace(request.head(), routed.target(), client.remoteAddress(), connection,
                        webSocketUpgrade, routed.forwardedHeader());
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

    // ---- CONNECTING → STREAMING_REQUEST ----

    /** Takes an idle workspace connection from the pool, or opens one; then sends the head. */
    private void borrowUpstream(boolean freshOnly) {
        phase = ExchangePhase.CONNECTING;
        if (!routed.mayBeListening()) {
            // Only after authorization: whether a port listens is nobody's business but those who may reach it.
            answer(ProxyError.PORT_NOT_LISTENING, "Nothing listens on port " + routed.target().port() + " of workspace '"
                    + routed.target().workspaceId() + "' yet.");
            return;
        }
        WorkspaceConnections.Refusal refusal = workspace.hold(user, routed.target().workspaceId());
        if (refusal != null) {
            refuse(refusal);
            return;
        }
        workspace.borrow(routed.poolKey(), routed.target().hostName(), freshOnly, opening);
    }

    private void refuse(WorkspaceConnections.Refusal refusal) {
        answer(refusal.limit() == WorkspaceConnections.Limit.DESCRIPTORS ? ProxyError.GATEWAY_BUSY
                : ProxyError.WORKSPACE_CONNECTION_LIMIT, refusal.detail());
    }

    /** How the attempt to get a workspace connection for the current request ended. */
    private final WorkspaceLink.Opening opening = new WorkspaceLink.Opening() {
        @Override
        public void connected(Channel channel, boolean reused) {
            phase = ExchangePhase.STREAMING_REQUEST;
            workspace.use(channel, reused, upstreamEvents, settings.timeouts().responseHead(), webSocketUpgrade,
                    request.head().method());
            gates.open(routed.target().workspaceId());
            channel.read();
            request.connected(webSocketUpgrade);
        }

        @Override
        public void failedToConnect(String why) {
            answer(ProxyError.PORT_NOT_SERVED, "Port " + routed.target().port() + " of workspace '"
                    + routed.target().workspaceId() + "' is not served: " + why + ".");
        }

        @Override
        public void refused(WorkspaceConnections.Refusal refusal) {
            refuse(refusal);
        }
    };

    // ---- STREAMING_REQUEST → AWAITING_RESPONSE ----

    /** A part of the request body (the last one carries the trailers). */
    private void content(HttpContent content) {
        if (answers.readingBody()) {
            switch (answers.bodyPart(content)) {
                case MORE -> client.read();
                case TOO_LARGE -> answer(ProxyError.BODY_TOO_LARGE,
                        "A console request's body is at most " + FormPost.MAX_BODY_BYTES + " bytes.");
                case COMPLETE -> request.receivedWhole(); // pipelined requests wait for the console's answer
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
        if (!request.withinLimit(content)) {
            content.release();
            boolean responseStarted = workspace.responseStarted();
            closeUpstream(); // the workspace never sees the end of a body that broke the limit
            if (responseStarted) {
                response.flush();
                client.close();
            } else {
                answer(ProxyError.BODY_TOO_LARGE, "The request body is larger than " + settings.limits().maxRequestBody()
                        + " bytes.");
            }
            return;
        }
        request.bodyPart(content);
    }

    /** The request's last byte reached the workspace through {@code handler}'s connection: its answer is due. */
    private void requestSent(UpstreamResponseHandler handler) {
        if (phase == ExchangePhase.STREAMING_REQUEST) {
            phase = ExchangePhase.AWAITING_RESPONSE;
        }
        handler.requestSent();
    }

    /** The client kept the gateway waiting for the rest of the body for {@code timeouts.requestBodyProgress}. */
    private void bodyStalled() {
        if (!phase.inProgress() || request.fullyReceived()) {
            return;
        }
        boolean responseStarted = workspace.responseStarted();
        closeUpstream(); // the workspace never sees the end of a body that stalled
        if (responseStarted) {
            response.flush();
            client.close();
        } else {
            answer(ProxyError.REQUEST_BODY_TIMEOUT, "No more of the request body arrived within "
                    + settings.timeouts().requestBodyProgress().toMillis() + " ms.");
        }
    }

    // ---- AWAITING_RESPONSE → STREAMING_RESPONSE → HEAD, or TUNNEL ----

    /** Called by the upstream side with each part of the response, in order; flushed by {@link ResponseToClient#flush}. */
    private ChannelFuture writeResponse(HttpObject message) {
        if (message instanceof HttpResponse head && head.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
            phase = ExchangePhase.STREAMING_RESPONSE;
        }
        return response.write(message, observed);
    }

    /** The workspace finished its response; its connection is pooled, the client's serves on or closes. */
    private void responseComplete(ChannelFuture lastWrite, boolean upstreamReusable) {
        response.flush();
        phase = ExchangePhase.HEAD;
        observed.finish();
        gates.close();
        workspace.releaseLease();
        request.stopDeadline();
        workspace.giveBack(upstreamReusable && request.fullyReceived());
        client.responseEnded(lastWrite, !keepAlive || !request.fullyReceived());
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
        Channel tunnel = workspace.handOverToTunnel();
        client.switchToTunnel(new ByteRelayHandler(tunnel, observed, true, gates.toWorkspace()),
                tunnel.pipeline(), new ByteRelayHandler(client.connection(), observed, false, gates.toClient()));
        gates.handOverToTunnel();
        client.read();
        tunnel.read();
    }

    /** The workspace failed before its response head: answer in its place, or close if it is too late. */
    private void upstreamFailed(ProxyError error, String detail, boolean responseStarted) {
        response.flush(); // what the client was sent before the failure goes out before its connection or stream ends
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
        if (!workspace.isCurrent(channel)) {
            return;
        }
        response.flush(); // a body that ends with the connection: its last parts came with the close
        request.connectionGone();
        boolean reused = workspace.reused();
        workspace.closedByWorkspace();
        if (!unanswered) {
            return;
        }
        if (mayRetry(reused, responseStarted)) {
            retried = true;
            log.debug("workspace {} closed a reused connection before answering; retrying once", channel.remoteAddress());
            request.resendOnNextConnection();
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
    private boolean mayRetry(boolean reused, boolean responseStarted) {
        return reused && !retried && !responseStarted && request.fullyReceived() && request.bodyBytes() == 0
                && !webSocketUpgrade && IDEMPOTENT.contains(request.head().method());
    }

    // ---- → ANSWERED ----

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
        sendAnswer(answers.error(error, detail, reasons, clearCookie, user, routed, request.head()), error.code());
    }

    /** The gateway's own answer to the current request; the connection closes after it. */
    private void sendAnswer(FullHttpResponse reply, String code) {
        phase = ExchangePhase.ANSWERED;
        answers.forgetBody();
        request.abandon();
        gates.close();
        workspace.releaseLease();
        if (observed == null) {
            observed = new Exchange(settings.metrics(), client.remoteAddress(), "-", "-");
        }
        observed.answeredByGateway(reply.status().code(), code);
        observed.finish();
        reply.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        client.answered(client.write(reply));
    }

    /** Drops the workspace connection (and the one being opened), unfinished. */
    void closeUpstream() {
        request.connectionGone();
        workspace.close();
    }

    /** The workspace side's reports, in the order they happen, for the current request only. */
    private final UpstreamListener upstreamEvents = new UpstreamListener() {
        @Override
        public ChannelFuture responseHead(HttpResponse head) {
            if (!keepAlive) {
                head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // the client's connection closes after it
            }
            return writeResponse(head);
        }

        @Override
        public ChannelFuture responseContent(HttpContent content) {
            return writeResponse(content);
        }

        @Override
        public void readComplete() {
            response.flush();
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
            return gates.toClient();
        }
    };
}
