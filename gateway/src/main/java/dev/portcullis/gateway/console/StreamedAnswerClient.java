package dev.portcullis.gateway.console;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;

/**
 * Where the console writes an answer it streams for as long as the client stays (the audit
 * stream): an HTTP/1.1 connection, or one HTTP/2 stream — which need not be a channel of its own.
 */
public interface StreamedAnswerClient {
    EventLoop eventLoop();

    boolean isActive();

    /** False while writes queue up unsent (the client does not read): the stream is dropped, never buffered for. */
    boolean isWritable();

    /** Writes and flushes a part of the answer. */
    ChannelFuture write(HttpObject part);

    /** Ends the answer at once (the connection closes, or the HTTP/2 stream is reset). */
    void close();

    /** Runs {@code whenClosed} once the client is gone. */
    void whenClosed(Runnable whenClosed);
}
