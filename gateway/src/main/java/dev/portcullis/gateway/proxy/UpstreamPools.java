package dev.portcullis.gateway.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One {@link UpstreamPool} per event loop, created on first use by that loop. */
public final class UpstreamPools {
    private final Map<EventLoop, UpstreamPool> byEventLoop = new ConcurrentHashMap<>();
    private final Class<? extends SocketChannel> channelClass;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final SslContext workspaceTls;

    public UpstreamPools(Class<? extends SocketChannel> channelClass, Duration connectTimeout) throws SSLException {
        this(channelClass, connectTimeout, UpstreamPool.IDLE_TIMEOUT);
    }

    /** @param idleTimeout how long a connection may wait unused in a pool before it is closed */
    UpstreamPools(Class<? extends SocketChannel> channelClass, Duration connectTimeout, Duration idleTimeout)
            throws SSLException {
        this.channelClass = channelClass;
        this.connectTimeout = connectTimeout;
        this.idleTimeout = idleTimeout;
        // A workspace port that serves TLS does so with a developer's own, usually self-signed,
        // certificate; the hop runs inside the host's private network to an address the route gave,
        // so the certificate is not checked (see docs/architecture.md).
        this.workspaceTls = SslContextBuilder.forClient()
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
    }

    /** Closes idle connections to {@code addresses} in every pool, each on its own event loop. */
    public void closeIdleTo(Set<InetAddress> addresses) {
        if (addresses.isEmpty()) {
            return;
        }
        byEventLoop.forEach((loop, pool) -> loop.execute(() -> pool.closeIdleTo(addresses)));
    }

    UpstreamPool forEventLoop(EventLoop eventLoop) {
        return byEventLoop.computeIfAbsent(eventLoop, loop -> new UpstreamPool(loop, channelClass, connectTimeout, idleTimeout,
                workspaceTls));
    }
}
