package dev.portcullis.gateway.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One {@link UpstreamPool} per event loop, created on first use by that loop. */
public final class UpstreamPools {
    private final Map<EventLoop, UpstreamPool> byEventLoop = new ConcurrentHashMap<>();
    private final Class<? extends SocketChannel> channelClass;
    private final Duration connectTimeout;

    public UpstreamPools(Class<? extends SocketChannel> channelClass, Duration connectTimeout) {
        this.channelClass = channelClass;
        this.connectTimeout = connectTimeout;
    }

    UpstreamPool forEventLoop(EventLoop eventLoop) {
        return byEventLoop.computeIfAbsent(eventLoop, loop -> new UpstreamPool(loop, channelClass, connectTimeout));
    }
}
