package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * What the workspace side of one request ({@link UpstreamResponseHandler}) reports to the request's
 * exchange, in order, on the event loop both share. The exchange's state decides what each report
 * still may do: a report that comes after the exchange was answered, reset or closed changes nothing.
 */
interface UpstreamListener {
    /**
     * The response head, ready to go on; the future completes when the client took it, which is only
     * after the {@link #readComplete} or {@link #responseEnded} that follows it.
     */
    ChannelFuture responseHead(HttpResponse head);

    /** A part of the response body; the future completes when the client took it. */
    ChannelFuture responseContent(HttpContent content);

    /**
     * One read of the workspace connection ended: what it brought of the response leaves for the
     * client now, together (one flush per burst, not one per part).
     */
    void readComplete();

    /** The response ended with the write {@code lastWrite} (sent now); {@code reusable}: the connection may be pooled. */
    void responseEnded(ChannelFuture lastWrite, boolean reusable);

    /** The workspace accepted the upgrade the request asked for. */
    void upgraded(HttpResponse switchingProtocols);

    /** The workspace failed the request; {@code responseStarted}: part of its answer already went to the client. */
    void failed(ProxyError error, String detail, boolean responseStarted);

    /** The workspace connection closed; {@code unanswered}: while a response was still due. */
    void closed(Channel channel, boolean unanswered, boolean responseStarted);

    /** The response direction's share of the workspace's bandwidth: the upstream side reads through it. */
    BandwidthGate responseGate();
}
