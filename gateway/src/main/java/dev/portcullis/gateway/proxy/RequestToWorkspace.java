package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.limits.BodyProgressDeadline;
import dev.portcullis.gateway.observe.Exchange;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request's way to the workspace, for its {@link ProxyExchange}: the head as the workspace gets
 * it and the body after it, written with read-after-write backpressure — the client is read again
 * (through the workspace's bandwidth share) only once the previous part was written, so a slow
 * workspace holds the client back instead of filling memory. Parts that arrive before a workspace
 * connection is ready wait here; a chunked HTTP/1.1 body's head waits for its first chunk; the body
 * is counted against {@code limits.maxRequestBody} and watched by the body-progress deadline.
 *
 * <p>One flush per delivery from the client, as the response has one per read of the workspace: the
 * parts the client side hands over together (one read of an HTTP/1.1 connection, usually the head and
 * the body's end; one call for an HTTP/2 stream) are written unflushed and leave in one flush when
 * that delivery ends ({@link #flushWrites}), so a small request is one send (one TLS record to a TLS
 * port) instead of one per part. Writes made outside a delivery (a connection that became ready
 * later) are flushed before the call that made them returns, so nothing waits past the current turn
 * of the event loop: the client is read again only when a write completes, which needs its flush.
 */
final class RequestToWorkspace {
    private static final Logger log = LoggerFactory.getLogger(RequestToWorkspace.class);

    private final ClientSide client;
    private final ProxySettings settings;
    private final WorkspaceLink workspace;
    private final ExchangeGates gates;
    // Told, with the connection's handler, when the request's last byte was written to the workspace.
    private final Consumer<UpstreamResponseHandler> sent;
    private final BodyProgressDeadline progress;
    // Body parts that arrived before a workspace connection was ready (with the head, or a retry's end).
    private final Queue<HttpContent> waiting = new ArrayDeque<>();
    private Exchange observed;
    private HttpRequest head;
    // The head waits on a connected workspace for the first body chunk (mustHoldHeadForBody).
    private boolean headHeld;
    private boolean fullyReceived;
    private long bodyBytes;
    // The client side is handing over parts: writes wait for flushWrites (see the class comment).
    private boolean batching;
    // The workspace connection written to since the last flush, or null.
    private Channel unflushed;

    /** @param stalled runs when the client kept the gateway waiting for the body for {@code timeouts.requestBodyProgress} */
    RequestToWorkspace(ClientSide client, ProxySettings settings, WorkspaceLink workspace, ExchangeGates gates,
                       Runnable stalled, Consumer<UpstreamResponseHandler> sent) {
        this.client = client;
        this.settings = settings;
        this.workspace = workspace;
        this.gates = gates;
        this.sent = sent;
        this.progress = new BodyProgressDeadline(client.eventLoop(), settings.timeouts().requestBodyProgress(), stalled);
    }

    /** A new request begins; {@code forwardedHead} is the head the workspace will get (or null: it goes nowhere). */
    void start(HttpRequest forwardedHead, Exchange observed) {
        this.head = forwardedHead;
        this.observed = observed;
        fullyReceived = false;
        bodyBytes = 0;
    }

    /** The head as the workspace gets it; null when the request was not routed. */
    HttpRequest head() {
        return head;
    }

    /** The gateway's own answer reads the body first (a console form); the head stays as it was. */
    void awaitBody() {
        fullyReceived = false;
    }

    /** Whether the request's last byte arrived (the response may still be flowing). */
    boolean fullyReceived() {
        return fullyReceived;
    }

    /** The gateway's own answer read the whole body (a console form). */
    void receivedWhole() {
        fullyReceived = true;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    /** Counts a body part; false when it breaks {@code limits.maxRequestBody}. */
    boolean withinLimit(HttpContent content) {
        progress.bodyArrived();
        bodyBytes += content.content().readableBytes();
        long maxBody = settings.limits().maxRequestBody();
        return maxBody <= 0 || bodyBytes <= maxBody;
    }

    /** A part of the body that passed the checks goes on (or waits for the workspace connection). */
    void bodyPart(HttpContent content) {
        if (content instanceof LastHttpContent last) {
            fullyReceived = true;
            progress.stop();
            RequestTrailers.stripForWorkspace(last.trailingHeaders());
        }
        if (workspace.channel() == null) {
            waiting.add(content);
            return;
        }
        if (headHeld) {
            headHeld = false;
            forward(head);
        }
        forward(content);
    }

    /**
     * A workspace connection is ready: the head goes out with whatever of the body already arrived,
     * unless the head must wait for the first chunk.
     */
    void connected(boolean webSocketUpgrade) {
        if (mustHoldHeadForBody(webSocketUpgrade)) {
            headHeld = true;
            progress.waitingForClient();
            client.readThrough(gates.toWorkspace()); // the head goes with the first chunk, once that decoded cleanly
            return;
        }
        boolean inDelivery = batching;
        batching = true;
        forward(head);
        while (!waiting.isEmpty()) {
            forward(waiting.poll());
        }
        if (!inDelivery) {
            flushWrites(); // ready outside a delivery (a connection opened later): the head and what waited leave now
        }
    }

    /** The client side starts handing over parts: writes wait for {@link #flushWrites}. */
    void batchWrites() {
        batching = true;
    }

    /** The client side's delivery ended: what it caused to be written leaves in one flush. */
    void flushWrites() {
        batching = false;
        if (unflushed != null) {
            Channel channel = unflushed;
            unflushed = null;
            channel.flush();
        }
    }

    /**
     * A chunked HTTP/1.1 body can be malformed from its first byte; its head waits until the first
     * chunk decoded cleanly, so such a request never reaches the workspace at all (issue 17, item 7).
     * Not with {@code Expect: 100-continue}: that client waits for the workspace before sending a body.
     */
    private boolean mustHoldHeadForBody(boolean webSocketUpgrade) {
        return !client.isHttp2Stream() && !fullyReceived && waiting.isEmpty() && !webSocketUpgrade
                && HttpUtil.isTransferEncodingChunked(head) && !HttpUtil.is100ContinueExpected(head);
    }

    /** The request (which had no body) goes again on a fresh connection: its end waits for it. */
    void resendOnNextConnection() {
        waiting.add(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** The workspace connection went away: a held head no longer waits for it. */
    void connectionGone() {
        headHeld = false;
    }

    /** The request ended early: what waited is dropped and the deadline stops. */
    void abandon() {
        HttpContent content;
        while ((content = waiting.poll()) != null) {
            content.release();
        }
        progress.stop();
    }

    void stopDeadline() {
        progress.stop();
    }

    /** Writes toward the workspace; the client is read again once the write completed. */
    private void forward(Object message) {
        boolean last = message instanceof LastHttpContent;
        if (message instanceof HttpContent content) {
            observed.bytesToWorkspace(content.content().readableBytes());
            gates.toWorkspace().charge(content.content().readableBytes());
        }
        UpstreamResponseHandler handler = workspace.handler();
        BandwidthGate gate = gates.toWorkspace();
        Channel channel = workspace.channel();
        if (unflushed != null && unflushed != channel) {
            flushWrites(); // a retry's fresh connection: what went to the old one is not held back
            batching = true;
        }
        channel.write(message).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                // Its close reaches the exchange's upstreamClosed, which retries or answers for the request.
                log.debug("write to workspace {} failed", written.channel().remoteAddress(), written.cause());
                written.channel().close();
            } else if (last) {
                sent.accept(handler);
            } else if (!fullyReceived) {
                progress.waitingForClient();
                client.readThrough(gate);
            }
        });
        if (batching) {
            unflushed = channel;
        } else {
            channel.flush();
        }
    }
}
