package dev.portcullis.devkit.workspace;

import static java.util.Objects.requireNonNull;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.util.concurrent.ThreadFactory;

/**
 * The socket layer a {@link DemoWorkspaceApp} listens on: an I/O handler and its server channel.
 * The gateway's tests pass the transport under test ({@code new ServerSockets(transport::newEventLoopGroup,
 * transport.serverChannelClass())}); the demo and the load tests take {@link #best()}. The devkit keeps its
 * own choice instead of the gateway's {@code Transport} so that nothing here depends on the gateway.
 */
public record ServerSockets(EventLoops eventLoops, Class<? extends ServerChannel> serverChannel) {
    /** Makes the event loop group the app runs on. */
    @FunctionalInterface
    public interface EventLoops {
        EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory);
    }

    public ServerSockets {
        requireNonNull(eventLoops, "eventLoops");
        requireNonNull(serverChannel, "serverChannel");
    }

    /** Java's own sockets: always there. */
    public static ServerSockets nio() {
        return sockets(NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }

    /** The best this machine has: io_uring, else epoll, else NIO (the gateway's order too). */
    public static ServerSockets best() {
        if (IoUring.isAvailable()) {
            return sockets(IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class);
        }
        if (Epoll.isAvailable()) {
            return sockets(EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
        }
        return nio();
    }

    private static ServerSockets sockets(IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel) {
        return new ServerSockets((threads, threadFactory) -> new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlers),
                serverChannel);
    }
}
