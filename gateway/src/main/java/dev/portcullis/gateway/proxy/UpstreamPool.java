package dev.portcullis.gateway.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Idle keep-alive connections to workspace ports, for one event loop and used only from it, so no
 * lock is ever taken. A connection is reused newest first (it is the least likely to have been
 * closed by the workspace); at most {@link #MAX_IDLE_PER_ADDRESS} wait per address (above the
 * 128 streams one HTTP/2 client may have in flight, so a busy client does not make the pool close
 * and reopen connections with every burst), and one idle
 * for longer than the idle timeout ({@link #IDLE_TIMEOUT} unless told otherwise) is closed by a
 * timer that sweeps the pool three times per timeout — below the keep-alive timeouts of common
 * servers (Node 5 s is the exception, which the retry of idempotent requests covers).
 *
 * <p>Connections are pooled per workspace, not per address: one opened for a workspace is never
 * reused for another, even when an address passes from one workspace to the next.
 */
final class UpstreamPool {
    static final int MAX_IDLE_PER_ADDRESS = 256;
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    private final EventLoop eventLoop;
    private final Class<? extends SocketChannel> channelClass;
    private final SslContext workspaceTls;
    private final int connectTimeoutMillis;
    private final Duration idleTimeout;
    private final Map<Key, ArrayDeque<Idle>> idle = new HashMap<>();

    /** What a pooled connection may be reused for: this workspace, at this address, over TLS or not. */
    record Key(String workspaceId, InetSocketAddress address, boolean tls) {}

    private static final AttributeKey<Key> KEY = AttributeKey.valueOf("portcullis.upstream-pool-key");

    private record Idle(Channel channel, long sinceNanos) {}

    UpstreamPool(EventLoop eventLoop, Class<? extends SocketChannel> channelClass, Duration connectTimeout,
                 Duration idleTimeout, SslContext workspaceTls) {
        this.eventLoop = eventLoop;
        this.channelClass = channelClass;
        this.workspaceTls = workspaceTls;
        this.connectTimeoutMillis = (int) connectTimeout.toMillis();
        this.idleTimeout = idleTimeout;
        long sweep = Math.max(1, idleTimeout.toMillis() / 3);
        eventLoop.scheduleWithFixedDelay(this::closeExpired, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /** An idle connection for {@code key} still open, or null. */
    Channel takeIdle(Key key) {
        ArrayDeque<Idle> waiting = idle.get(key);
        while (waiting != null && !waiting.isEmpty()) {
            Channel channel = waiting.pollLast().channel();
            if (channel.isActive()) {
                return channel;
            }
        }
        return null;
    }

    /**
     * Opens a new connection for {@code key} on this event loop, through TLS with SNI
     * {@code serverName} when the workspace port serves TLS itself; its response handler starts detached.
     */
    ChannelFuture connect(Key key, String serverName) {
        InetSocketAddress address = key.address();
        return new Bootstrap()
                .group(eventLoop)
                .channel(channelClass)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .attr(KEY, key)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        ProxyPipelines.upstream(channel, key.tls()
                                        ? workspaceTls.newHandler(channel.alloc(), serverName, address.getPort()) : null,
                                new UpstreamResponseHandler(UpstreamPool.this));
                    }
                })
                .connect(address);
    }

    /** Takes back a connection whose response ended cleanly; closes it when there is no room. */
    void release(Channel channel) {
        if (!channel.isActive()) {
            return;
        }
        ArrayDeque<Idle> waiting = idle.computeIfAbsent(channel.attr(KEY).get(), key -> new ArrayDeque<>());
        if (waiting.size() >= MAX_IDLE_PER_ADDRESS) {
            channel.close();
            return;
        }
        waiting.addLast(new Idle(channel, System.nanoTime()));
        channel.read(); // an idle connection that closes or talks out of turn is noticed and dropped
    }

    /** An idle connection closed (by the workspace, or by us): forget it. */
    void forget(Channel channel) {
        ArrayDeque<Idle> waiting = idle.get(channel.attr(KEY).get());
        if (waiting != null) {
            waiting.removeIf(entry -> entry.channel() == channel);
        }
    }

    /** Closes every idle connection to one of {@code addresses} (their workspace went away). */
    void closeIdleTo(Set<InetAddress> addresses) {
        for (Iterator<Map.Entry<Key, ArrayDeque<Idle>>> entries = idle.entrySet().iterator(); entries.hasNext(); ) {
            Map.Entry<Key, ArrayDeque<Idle>> entry = entries.next();
            if (addresses.contains(entry.getKey().address().getAddress())) {
                entries.remove();
                entry.getValue().forEach(waiting -> waiting.channel().close());
            }
        }
    }

    private void closeExpired() {
        long oldest = System.nanoTime() - idleTimeout.toNanos();
        for (Iterator<ArrayDeque<Idle>> addresses = idle.values().iterator(); addresses.hasNext(); ) {
            ArrayDeque<Idle> waiting = addresses.next();
            while (!waiting.isEmpty() && waiting.peekFirst().sinceNanos() < oldest) {
                waiting.pollFirst().channel().close();
            }
            if (waiting.isEmpty()) {
                addresses.remove();
            }
        }
    }
}
