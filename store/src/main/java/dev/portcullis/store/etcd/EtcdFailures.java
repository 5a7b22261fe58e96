package dev.portcullis.store.etcd;

import io.grpc.Status;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Says why a call to etcd failed in terms of the config an operator can fix. jetcd reports a
 * refused password as a bare UNAUTHENTICATED and a failed TLS handshake not at all (its calls wait
 * for a connection until they time out), so a TLS failure is found by trying the handshake once
 * more, apart from jetcd, with the same TLS context.
 */
final class EtcdFailures {
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LATE_REFUSAL_WAIT = Duration.ofMillis(300);
    private static final String CLIENT_REFUSED = "it refused this client's certificate, or the lack of one: it wants one"
            + " signed by its CA (store.etcd.tls.certificateChain and privateKey)";

    private EtcdFailures() {}

    /** What the user can do about {@code cause}, or "" when it is not about credentials. */
    static String credentialsProblem(Throwable cause, Optional<EtcdUser> user) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("authentication failed")) {
                return " (etcd refused the password of user '" + user.map(EtcdUser::name).orElse("?") + "': " + message
                        + "; check store.etcd.auth.user and the password in store.etcd.auth.passwordFile)";
            }
            if (message.contains("user name is empty")) {
                return " (etcd has auth enabled and this client signs in as no one: set store.etcd.auth.user and passwordFile)";
            }
            if (message.contains("permission denied")) {
                return " (user '" + user.map(EtcdUser::name).orElse("?") + "' may not do this: grant its role readwrite"
                        + " on the prefix /portcullis/)";
            }
            if (Status.fromThrowable(t).getCode() == Status.Code.UNAUTHENTICATED && t.getCause() == null) {
                return " (etcd did not accept this client's credentials: check store.etcd.auth)";
            }
        }
        return "";
    }

    /**
     * The TLS handshake with the first endpoint, tried once with {@code tls}: its failure in words, or
     * "" when it succeeds (the problem lies elsewhere).
     */
    static String tlsProblem(SslContext tls, List<String> endpoints) {
        URI endpoint = URI.create(endpoints.getFirst());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) PROBE_TIMEOUT.toMillis())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline().addLast(tls.newHandler(channel.alloc(), endpoint.getHost(), endpoint.getPort()),
                                    new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                            failure.compareAndSet(null, cause);
                                            ctx.close();
                                        }
                                    });
                        }
                    });
            ChannelFuture connected = bootstrap.connect(endpoint.getHost(), endpoint.getPort());
            if (!connected.awaitUninterruptibly(PROBE_TIMEOUT.toMillis()) || !connected.isSuccess()) {
                return ""; // not reachable at all: nothing to say about TLS
            }
            Channel channel = connected.channel();
            Future<Channel> handshake = channel.pipeline().get(SslHandler.class).handshakeFuture();
            handshake.awaitUninterruptibly(PROBE_TIMEOUT.toMillis());
            if (handshake.isSuccess()) {
                // TLS 1.3: a server that wants a client certificate refuses it only after the handshake,
                // and the JDK's engine reports that as the connection closing.
                if (channel.closeFuture().awaitUninterruptibly(LATE_REFUSAL_WAIT.toMillis()) && failure.get() == null) {
                    return " (TLS with " + endpoint.getHost() + ":" + endpoint.getPort() + ": " + CLIENT_REFUSED
                           + ": it closed the connection right after the handshake)";
                }
            } else if (handshake.cause() != null) {
                failure.compareAndSet(null, handshake.cause());
            }
            channel.close();
            return failure.get() == null ? "" : explainTls(endpoint, failure.get());
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }

    private static String explainTls(URI endpoint, Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = failure == root ? String.valueOf(failure.getMessage()) : failure.getMessage() + ": " + root.getMessage();
        String hint;
        if (message.contains("certification path") || message.contains("PKIX")) {
            hint = "its certificate is not signed by the CA in store.etcd.tls.caFile";
        } else if (message.contains("certificate_required") || message.contains("bad_certificate")) {
            hint = CLIENT_REFUSED;
        } else if (message.contains("No subject alternative") || message.contains("doesn't match")) {
            hint = "its certificate is not for the name or address in store.etcd.endpoints";
        } else {
            hint = "the TLS handshake failed";
        }
        return " (TLS with " + endpoint.getHost() + ":" + endpoint.getPort() + ": " + hint + ": " + message + ")";
    }
}
