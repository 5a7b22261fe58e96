package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.isolation.WorkspaceSetCookies;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workspace side of one pooled connection: while attached to a client's request it relays the
 * response head and body to that client, reading the workspace again only when the client took the
 * previous part; while idle in the pool it only watches for the connection closing.
 */
final class UpstreamResponseHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(UpstreamResponseHandler.class);

    private final UpstreamPool pool;
    private UpstreamListener frontend;
    private Duration responseHeadTimeout;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> responseHeadDeadline;

    private boolean expectingResponse;
    private boolean responseStarted;
    private boolean informational;
    private boolean reusable;
    private boolean upgradeRequested;
    private boolean headRequest;

    UpstreamResponseHandler(UpstreamPool pool) {
        this.pool = pool;
    }

    /** Lends the connection to one request, which {@code frontend} reports to. */
    void attach(UpstreamListener frontend, Duration responseHeadTimeout) {
        this.frontend = frontend;
        this.responseHeadTimeout = responseHeadTimeout;
    }

    /** The request is over; the connection goes back to the pool (or is closed). */
    void detach() {
        cancelResponseHeadDeadline();
        frontend = null;
        expectingResponse = false;
    }

    boolean responseStarted() {
        return responseStarted;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** The request's last byte reached the workspace: from now on, its response head is due. */
    void requestSent() {
        if (!expectingResponse || responseStarted || ctx == null) {
            return;
        }
        responseHeadDeadline = ctx.executor().schedule(() -> {
            if (frontend != null && expectingResponse && !responseStarted) {
                expectingResponse = false;
                frontend.failed(ProxyError.UPSTREAM_TIMEOUT, "The workspace did not answer within "
                        + responseHeadTimeout.toMillis() + " ms.", false);
            }
        }, responseHeadTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelResponseHeadDeadline() {
        if (responseHeadDeadline != null) {
            responseHeadDeadline.cancel(false);
            responseHeadDeadline = null;
        }
    }

    /** A request was (or is about to be) sent on this connection; its response is next. */
    void expectResponse(boolean upgrade, HttpMethod method) {
        expectingResponse = true;
        responseStarted = false;
        upgradeRequested = upgrade;
        headRequest = HttpMethod.HEAD.equals(method);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (frontend == null || !expectingResponse) {
            // Bytes from an idle workspace connection belong to no request: drop the connection.
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        if (msg instanceof HttpResponse response) {
            onResponseHead(ctx, response);
            if (!expectingResponse) {
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(ctx, content);
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(ChannelHandlerContext ctx, HttpResponse response) {
        cancelResponseHeadDeadline();
        if (response.decoderResult().isFailure()) {
            expectingResponse = false;
            frontend.failed(ProxyError.BAD_UPSTREAM_RESPONSE,
                    "The workspace answered with a malformed response.", responseStarted);
            return;
        }
        List<String> transferEncodings = response.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!transferEncodings.isEmpty()
                && (transferEncodings.size() > 1 || !transferEncodings.get(0).trim().equalsIgnoreCase("chunked"))) {
            // A transfer coding the gateway would not undo (gzip, say) would reach the client unlabelled.
            expectingResponse = false;
            frontend.failed(ProxyError.BAD_UPSTREAM_RESPONSE,
                    "The workspace answered with a transfer coding other than chunked.", false);
            return;
        }
        // Also on a 101: a cookie set while switching protocols is a cookie all the same.
        WorkspaceSetCookies.sanitize(response.headers());
        HttpResponseStatus status = response.status();
        if (status.equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
            expectingResponse = false;
            if (!upgradeRequested) {
                frontend.failed(ProxyError.BAD_UPSTREAM_RESPONSE,
                        "The workspace switched protocols without being asked to.", false);
                return;
            }
            frontend.upgraded(response);
            return;
        }
        informational = status.codeClass() == HttpStatusClass.INFORMATIONAL;
        responseStarted = !informational;
        reusable = HttpUtil.isKeepAlive(response);
        boolean chunkedFromWorkspace = HttpUtil.isTransferEncodingChunked(response);
        ForwardedRequests.removeHopByHop(response.headers());
        boolean hasBody = !informational && !headRequest && status.code() != 204 && status.code() != 304;
        if (hasBody && (chunkedFromWorkspace || !HttpUtil.isContentLengthSet(response))) {
            // The workspace's framing was its own hop; toward the client, an unknown length is chunked.
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        readAfter(ctx, frontend.responseHead(response), frontend.responseGate());
    }

    private void onResponseContent(ChannelHandlerContext ctx, HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            expectingResponse = false;
            frontend.failed(ProxyError.BAD_UPSTREAM_RESPONSE,
                    "The workspace sent a malformed response body.", responseStarted);
            return;
        }
        boolean last = content instanceof LastHttpContent;
        ChannelFuture written = frontend.responseContent(content);
        if (last && informational) {
            informational = false; // end of a 1xx such as 100 Continue; the final response follows
            readAfter(ctx, written, frontend.responseGate());
            return;
        }
        if (last) {
            expectingResponse = false;
            frontend.responseEnded(written, reusable);
        } else {
            readAfter(ctx, written, frontend.responseGate());
        }
    }

    /**
     * The end of one read of the workspace: the response parts it brought were written unflushed, and
     * leave for the client now in one flush. The workspace is read again only once they were taken
     * ({@link #readAfter}), so without this flush the connection would never be read again.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (frontend != null) {
            frontend.readComplete();
        }
        ctx.fireChannelReadComplete();
    }

    /**
     * Reads the workspace again once the client took what was written (the response's backpressure)
     * and the workspace's bandwidth share allows it.
     */
    private static void readAfter(ChannelHandlerContext ctx, ChannelFuture written, BandwidthGate gate) {
        written.addListener((ChannelFutureListener) done -> {
            if (done.isSuccess()) {
                gate.read(ctx);
            } else {
                ctx.close();
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelResponseHeadDeadline();
        if (frontend == null) {
            pool.forget(ctx.channel());
            return;
        }
        boolean unanswered = expectingResponse;
        expectingResponse = false;
        frontend.closed(ctx.channel(), unanswered, responseStarted);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("workspace connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
