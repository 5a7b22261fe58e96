package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.limits.WorkspaceConnections;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpMethod;
import java.net.ConnectException;
import java.time.Duration;

/**
 * What one request holds on the workspace's side, for its {@link ProxyExchange}: its lease under
 * the workspace connection limits, and the workspace connection it borrowed from the event loop's
 * {@link UpstreamPool} or opened (with the {@link UpstreamResponseHandler} that reports on it). It
 * keeps no phase: the exchange decides when to borrow, hand back, close or retry.
 */
final class WorkspaceLink {
    /** How an attempt to get a connection ended, reported on the client's event loop. */
    interface Opening {
        void connected(Channel channel, boolean reused);

        void failedToConnect(String why);

        void refused(WorkspaceConnections.Refusal refusal);
    }

    private final ClientSide client;
    private final ProxySettings settings;
    private Channel channel;
    private UpstreamResponseHandler handler;
    private boolean reused;
    // A connection being opened for the current request (closed if the request ends first).
    private Channel connecting;
    // The current request's hold under the workspace connection limits; null between requests.
    private WorkspaceConnections.Lease lease;

    WorkspaceLink(ClientSide client, ProxySettings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** The connection the current request uses, or null. */
    Channel channel() {
        return channel;
    }

    UpstreamResponseHandler handler() {
        return handler;
    }

    /** Whether the current connection came from the pool (the workspace may have closed it just as it was reused). */
    boolean reused() {
        return reused;
    }

    boolean isCurrent(Channel candidate) {
        return candidate == channel;
    }

    /** Whether part of the workspace's answer already went to the client. */
    boolean responseStarted() {
        return handler != null && handler.responseStarted();
    }

    /**
     * The request's lease under the workspace connection limits (a retry keeps the one it has);
     * the refusal when a limit refused it, else null.
     */
    WorkspaceConnections.Refusal hold(String user, String workspaceId) {
        if (lease != null) {
            return null;
        }
        switch (settings.workspaceConnections().acquire(client.connection(), user, client.remoteAddress().getAddress(),
                workspaceId)) {
            case WorkspaceConnections.Lease granted -> {
                lease = granted;
                return null;
            }
            case WorkspaceConnections.Refusal refusal -> {
                return refusal;
            }
        }
    }

    void releaseLease() {
        if (lease != null) {
            lease.release();
            lease = null;
        }
    }

    /** The workspace connection became a tunnel: the lease is held for as long as it is open. */
    private void leaseUntilClosed(Channel tunnel) {
        WorkspaceConnections.Lease held = lease;
        lease = null;
        if (held != null) {
            tunnel.closeFuture().addListener(closed -> held.release());
        }
    }

    /**
     * An idle pooled connection for {@code key} (unless {@code freshOnly}), else a new one opened on
     * the client's event loop; the outcome goes to {@code opening}, at once for a pooled one.
     */
    void borrow(UpstreamPool.Key key, String serverName, boolean freshOnly, Opening opening) {
        UpstreamPool pool = settings.pools().forEventLoop(client.eventLoop());
        Channel idle = freshOnly ? null : pool.takeIdle(key);
        if (idle != null) {
            opening.connected(idle, true);
            return;
        }
        WorkspaceConnections.Refusal noDescriptor = settings.workspaceConnections().openDescriptor();
        if (noDescriptor != null) {
            opening.refused(noDescriptor);
            return;
        }
        ChannelFuture opened = pool.connect(key, serverName);
        settings.workspaceConnections().releaseDescriptorOnClose(opened.channel());
        connecting = opened.channel();
        opened.addListener((ChannelFutureListener) done -> {
            if (done.channel() != connecting) {
                done.channel().close(); // the client went away while this connection was opening
                return;
            }
            connecting = null;
            if (done.isSuccess()) {
                opening.connected(done.channel(), false);
            } else {
                done.channel().close(); // its descriptor goes back to the budget
                opening.failedToConnect(describeConnectFailure(done.cause()));
            }
        });
    }

    /** The request uses {@code connection} from now on (not read yet); its handler reports to {@code listener}. */
    void use(Channel connection, boolean fromPool, UpstreamListener listener, Duration responseHeadTimeout,
             boolean upgrade, HttpMethod method) {
        channel = connection;
        reused = fromPool;
        handler = (UpstreamResponseHandler) connection.pipeline().get(PipelineNames.UPSTREAM);
        handler.attach(listener, responseHeadTimeout);
        handler.expectResponse(upgrade, method);
    }

    /** The response ended: the connection goes back to the pool when it may be reused, else it closes. */
    void giveBack(boolean reusable) {
        Channel used = forget();
        if (reusable) {
            settings.pools().forEventLoop(client.eventLoop()).release(used);
        } else {
            used.close();
        }
    }

    /** The workspace connection now belongs to a tunnel; it never returns to the pool. */
    Channel handOverToTunnel() {
        Channel tunnel = channel;
        leaseUntilClosed(tunnel);
        return tunnel;
    }

    /** The current connection closed by itself: forget it. */
    void closedByWorkspace() {
        forget();
    }

    /** Closes the connection being opened and the one in use, if any. */
    void close() {
        if (connecting != null) {
            connecting.close();
            connecting = null;
        }
        if (channel != null) {
            forget().close();
        }
    }

    private Channel forget() {
        Channel used = channel;
        handler.detach();
        channel = null;
        handler = null;
        return used;
    }

    private static String describeConnectFailure(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "the connection timed out";
        }
        if (cause instanceof ConnectException) {
            return "nothing accepts connections there";
        }
        return "the connection failed (" + cause.getClass().getSimpleName() + ")";
    }
}
