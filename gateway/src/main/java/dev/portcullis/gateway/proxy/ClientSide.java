package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.Revocable;
import dev.portcullis.gateway.console.StreamedAnswerClient;
import dev.portcullis.gateway.fairness.BandwidthGate;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObject;
import java.net.InetSocketAddress;

/**
 * What a {@link ProxyExchange} needs of the client it serves: an HTTP/1.1 connection ({@link
 * ProxyFrontendHandler}) or one HTTP/2 stream ({@link Http2ClientStream}, which is no channel: it
 * gives the stream's flow-control window back on {@link #read} and writes frames on {@link #write}).
 * The exchange reads, writes and ends the request only through this, so one exchange serves both protocols.
 * Everything here runs on {@link #eventLoop}, where every stage of the exchange finishes; {@link
 * #write} writes and flushes a part of the answer, its future completing once it is written; {@link
 * #writePart} writes a part of a relayed response without flushing it, so the parts one read of the
 * workspace brought leave together at the next {@link #flush} (one TLS record, one send). What
 * a request is allowed, it holds under a grant of its own ({@link Revocable}): the connection over
 * HTTP/1.1 (and the tunnel it may become), the stream over HTTP/2, so a revocation ends exactly it.
 */
interface ClientSide extends StreamedAnswerClient, Revocable {
    ByteBufAllocator alloc();

    @Override
    InetSocketAddress remoteAddress();

    /** The client's TCP connection (for limits per client connection). */
    Channel connection();


    /** An HTTP/2 stream: exactly one request, whose whole head arrived before the exchange saw it. */
    boolean isHttp2Stream();

    /**
     * Writes a part of the workspace's response without flushing it: its future completes only after
     * the {@link #flush} that must follow before the event loop moves on (the exchange flushes at the
     * end of every read of the workspace and when the response ends).
     */
    ChannelFuture writePart(HttpObject part);

    /** Sends what {@link #writePart} wrote. */
    void flush();

    /** Asks for the next part of the request (over HTTP/2: gives the stream's window back). */
    void read();

    /** Asks for the next part of the request once {@code gate} (the workspace's bandwidth share) allows. */
    void readThrough(BandwidthGate gate);


    /**
     * The response ended with {@code lastWrite}: the connection closes after it ({@code close}), or
     * serves the requests already decoded and then reads the next.
     */
    void responseEnded(ChannelFuture lastWrite, boolean close);

    /** The gateway answered the request itself with {@code written}; the connection (or stream) ends after it. */
    void answered(ChannelFuture written);

    /**
     * A WebSocket upgrade was accepted (HTTP/1.1 only): the client's side leaves HTTP for {@code
     * clientRelay}, the workspace's {@code workspace} pipeline for {@code workspaceRelay}.
     */
    void switchToTunnel(ChannelHandler clientRelay, ChannelPipeline workspace, ChannelHandler workspaceRelay);
}
