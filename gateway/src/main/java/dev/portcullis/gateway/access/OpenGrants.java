package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Principal;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every open client connection, HTTP/2 stream and WebSocket tunnel that a decision allowed, tagged
 * with who it runs as and until when. Access must end on the wire, not only for the next request:
 * <ul>
 *   <li>a change of shares, policies or routes re-decides every grant at once and closes the ones now
 *       denied (share lowered or revoked, policy tightened, workspace deleted or stopped);</li>
 *   <li>a sweep every {@value #SWEEP_MILLIS} ms closes the ones whose token expired. One sweep for all
 *       rather than a timer per request: timers per request cost measurably on HTTP/2 (see
 *       docs/benchmarks.md), and a quarter second is well inside the promised second.</li>
 * </ul>
 */
public final class OpenGrants implements AutoCloseable {
    static final long SWEEP_MILLIS = 250;

    /** What allowed one channel's current request or tunnel. */
    public record Grant(Principal principal, Instant expiresAt, String workspaceId, int port, String method,
                        String path) {
        public Grant {
            requireNonNull(principal, "principal");
            requireNonNull(expiresAt, "expiresAt");
            requireNonNull(workspaceId, "workspaceId");
            requireNonNull(method, "method");
            requireNonNull(path, "path");
        }
    }

    private final Map<Channel, Grant> grants = new ConcurrentHashMap<>();
    private final Supplier<RouteTable> routes;
    private final Supplier<AccessSnapshot> access;
    private final AuditLog audit;
    private final Clock clock;
    private final ScheduledExecutorService sweeper;

    public OpenGrants(Supplier<RouteTable> routes, Supplier<AccessSnapshot> access, AuditLog audit, Clock clock) {
        this.routes = requireNonNull(routes, "routes");
        this.access = requireNonNull(access, "access");
        this.audit = requireNonNull(audit, "audit");
        this.clock = requireNonNull(clock, "clock");
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "portcullis-grant-expiry");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(this::closeExpired, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** {@code channel} now serves under {@code grant}, replacing what it served under before. */
    public void register(Channel channel, Grant grant) {
        if (grants.put(channel, grant) == null) {
            channel.closeFuture().addListener(closed -> grants.remove(channel));
        }
    }

    /** How many channels are open under a grant. */
    public int size() {
        return grants.size();
    }

    /**
     * Re-decides every grant against the current routes and access state and closes the channels
     * now denied. Called after every change, on the thread that made it.
     */
    public void revalidate() {
        RouteTable table = routes.get();
        AccessSnapshot snapshot = access.get();
        grants.forEach((channel, grant) -> {
            WorkspaceRoute route = table.lookup(grant.workspaceId());
            String reason;
            if (route == null) {
                reason = "workspace-deleted";
            } else if (!route.running()) {
                reason = "workspace-stopped";
            } else if (!snapshot.decide(grant.principal(), route, grant.port(), grant.method(), grant.path()).isAllowed()) {
                reason = "access-withdrawn";
            } else {
                return;
            }
            revoke(channel, grant, reason);
        });
    }

    private void closeExpired() {
        Instant now = clock.instant();
        grants.forEach((channel, grant) -> {
            if (!now.isBefore(grant.expiresAt())) {
                revoke(channel, grant, "token-expired");
            }
        });
    }

    private void revoke(Channel channel, Grant grant, String reason) {
        if (grants.remove(channel, grant)) {
            audit.revoked(reason, grant.principal(), grant.workspaceId(), grant.port(), clientOf(channel));
            channel.close();
        }
    }

    /** The client's address; an HTTP/2 stream's is its connection's. */
    private static InetSocketAddress clientOf(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
        return connection.remoteAddress() instanceof InetSocketAddress address ? address : null;
    }

    /** A grant that no token bounds: anonymous access to a public port. */
    public static Instant noExpiry() {
        return Instant.MAX;
    }

    /** How long a sweep may take to notice an expiry: tests wait at most this much longer. */
    public static Duration sweepInterval() {
        return Duration.ofMillis(SWEEP_MILLIS);
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
