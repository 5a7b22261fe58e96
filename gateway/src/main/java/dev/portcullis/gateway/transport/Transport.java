package dev.portcullis.gateway.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.function.Supplier;

/**
 * The socket layers the gateway can run on, best first. A transport is only used when its native
 * library loads on this kernel; {@link #unavailabilityCause()} says why it does not.
 */
public enum Transport {
    IO_URING("io_uring", IoUring::isAvailable, IoUring::unavailabilityCause, IoUringIoHandler::newFactory,
            IoUringServerSocketChannel.class, IoUringSocketChannel.class),
    EPOLL("epoll", Epoll::isAvailable, Epoll::unavailabilityCause, EpollIoHandler::newFactory,
            EpollServerSocketChannel.class, EpollSocketChannel.class),
    NIO("nio", () -> true, () -> null, NioIoHandler::newFactory,
            NioServerSocketChannel.class, NioSocketChannel.class);

    private final String configName;
    private final Supplier<Boolean> available;
    private final Supplier<Throwable> unavailabilityCause;
    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final Class<? extends SocketChannel> socketChannelClass;

    Transport(String configName, Supplier<Boolean> available, Supplier<Throwable> unavailabilityCause,
              Supplier<IoHandlerFactory> ioHandlerFactory, Class<? extends ServerChannel> serverChannelClass,
              Class<? extends SocketChannel> socketChannelClass) {
        this.configName = configName;
        this.available = available;
        this.unavailabilityCause = unavailabilityCause;
        this.ioHandlerFactory = ioHandlerFactory;
        this.serverChannelClass = serverChannelClass;
        this.socketChannelClass = socketChannelClass;
    }

    /** The best transport this machine has: io_uring, else epoll, else NIO. */
    public static Transport best() {
        for (Transport transport : values()) {
            if (transport.isAvailable()) {
                return transport;
            }
        }
        return NIO;
    }

    /** Parses a config value: {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}. */
    public static Optional<Transport> fromConfigName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (Transport transport : values()) {
            if (transport.configName.equals(wanted)) {
                return Optional.of(transport);
            }
        }
        return Optional.empty();
    }

    public String configName() {
        return configName;
    }

    public boolean isAvailable() {
        try {
            return available.get();
        } catch (LinkageError e) {
            return false;
        }
    }

    /** Why this transport cannot run here, for logs and test skips; empty when it can. */
    public String unavailabilityCause() {
        if (isAvailable()) {
            return "";
        }
        try {
            Throwable cause = unavailabilityCause.get();
            return cause == null ? "unknown reason" : String.valueOf(cause.getMessage());
        } catch (LinkageError e) {
            return e.toString();
        }
    }

    public EventLoopGroup newEventLoopGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory.get());
    }

    public Class<? extends ServerChannel> serverChannelClass() {
        return serverChannelClass;
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return socketChannelClass;
    }
}
