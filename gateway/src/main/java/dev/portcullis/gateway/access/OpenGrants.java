package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Principal;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import io.netty.util.AttributeKey;

/**
 * Every open client connection, HTTP/2 stream and WebSocket tunnel that a decision allowed, tagged
 * with who it runs as and until when. Access must end on the wire, not only for the next request:
 * <ul>
 *   <li>a change of shares, policies or routes re-decides every grant at once and closes the ones now
 *       denied (share lowered or revoked, policy tightened, workspace deleted or stopped), and the ones
 *       relayed to where the workspace no longer is (its address, or whether the port speaks TLS,
 *       changed): whatever answers at the old address now is not the workspace the grant was for;</li>
 *   <li>a sweep every {@value #SWEEP_MILLIS} ms closes the ones whose token expired. One sweep for all
 *       rather than a timer per request: timers per request cost measurably on HTTP/2 (see
 *       docs/benchmarks.md), and a quarter second is well inside the promised second.</li>
 * </ul>
 */
public final class OpenGrants implements AutoCloseable {
    static final long SWEEP_MILLIS = 250;

    /**
     * What allowed one channel's current request or tunnel.
     *
     * @param sessionId the browser session the caller came with (its cookie), or null for a bearer token
     *                  or nobody; the grant ends when the session does
     */
    public record Grant(Principal principal, Instant expiresAt, String workspaceId, int port, String method,
                        String path, String sessionId) {
        public Grant {
            requireNonNull(principal, "principal");
            requireNonNull(expiresAt, "expiresAt");
            requireNonNull(workspaceId, "workspaceId");
            requireNonNull(method, "method");
            requireNonNull(path, "path");
        }

        /** A grant not tied to a browser session. */
        public Grant(Principal principal, Instant expiresAt, String workspaceId, int port, String method, String path) {
            this(principal, expiresAt, workspaceId, port, method, path, null);
        }
    }

    /**
     * Where a granted channel's bytes go: the workspace's address and whether its port speaks TLS, as
     * the proxy routed it. A route that says otherwise now ends the grant.
     */
    record Upstream(InetAddress address, boolean tls) {
        /** Whether {@code route} still sends {@code port}'s bytes here (checked per HTTP/2 stream: no record made). */
        boolean reachedThrough(WorkspaceRoute route, int port) {
            return route.address().equals(address) && route.tlsPorts().contains(port) == tls;
        }
    }

    /** A grant and the upstream its channel was relayed to. */
    private record Registered(Grant grant, Upstream upstream) {}

    private final Map<Channel, Registered> grants = new ConcurrentHashMap<>();
    private final Supplier<RouteTable> routes;
    private final Supplier<AccessSnapshot> access;
    private final AuditLog audit;
    private final Clock clock;
    private final ScheduledExecutorService sweeper;
    // Counts the changes that may end access (re-decisions, ended sessions); what a connection
    // proved before a change is proved again after it (see ConnectionAccess).
    private final AtomicLong changes = new AtomicLong();

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

    /**
     * {@code channel} now serves under {@code grant}, replacing what it served under before, and its
     * bytes go to {@code address} ({@code tls}: over TLS): where the proxy routed it, not where the
     * route says now, so a move between the routing and this call still ends the channel.
     */
    public void register(Channel channel, Grant grant, InetAddress address, boolean tls) {
        Registered current = grants.get(channel);
        if (current != null && current.grant() == grant && current.upstream().tls() == tls
            && current.upstream().address().equals(address)) {
            // The next request of a keep-alive connection under the same (reused) grant: every change
            // since it was registered was re-decided against it already.
            return;
        }
        Registered registered = new Registered(grant, new Upstream(address, tls));
        if (grants.put(channel, registered) == null) {
            channel.closeFuture().addListener(closed -> grants.remove(channel));
        }
        // A change that landed after the routing was re-decided before this grant existed.
        String gone = whereaboutsChanged(grant, registered.upstream(), routes.get());
        if (gone != null) {
            revoke(channel, registered, gone);
        }
    }

    /** Why the channel no longer reaches its workspace as routed, or null while it does. */
    private static String whereaboutsChanged(Grant grant, Upstream upstream, RouteTable table) {
        WorkspaceRoute route = table.lookup(grant.workspaceId());
        if (route == null) {
            return "workspace-deleted";
        }
        if (!route.running()) {
            return "workspace-stopped";
        }
        return upstream.reachedThrough(route, grant.port()) ? null : "workspace-moved";
    }

    /** The grants of every open channel, as they are now (the console's dry run re-decides them). */
    public List<Grant> open() {
        return grants.values().stream().map(Registered::grant).toList();
    }

    /**
     * How many changes that may end access (policy, share or route changes, ended sessions) this
     * gateway has seen: a credential or decision proved before the count moved is proved again.
     */
    public long changes() {
        return changes.get();
    }

    /** The time that grants expire by, in milliseconds. */
    public long nowMillis() {
        return clock.millis();
    }

    /** How many channels are open under a grant. */
    public int size() {
        return grants.size();
    }

    /**
     * Re-decides every grant against the current routes and access state and closes the channels
     * now denied or relayed to where the workspace no longer is. Called after every change, on the
     * thread that made it.
     */
    public void revalidate() {
        changes.incrementAndGet();
        RouteTable table = routes.get();
        AccessSnapshot snapshot = access.get();
        grants.forEach((channel, registered) -> {
            Grant grant = registered.grant();
            String reason = whereaboutsChanged(grant, registered.upstream(), table);
            if (reason == null && !snapshot.decide(grant.principal(), table.lookup(grant.workspaceId()), grant.port(),
                    grant.method(), grant.path()).isAllowed()) {
                reason = "access-withdrawn";
            }
            if (reason == null) {
                return;
            }
            revoke(channel, registered, reason);
        });
    }

    /** The browser sessions that open channels run under. */
    public Set<String> sessionsInUse() {
        Set<String> inUse = new HashSet<>();
        grants.values().forEach(registered -> {
            if (registered.grant().sessionId() != null) {
                inUse.add(registered.grant().sessionId());
            }
        });
        return inUse;
    }

    /** Closes, at once, every channel that runs under the browser session {@code sessionId} (it ended). */
    public void endSession(String sessionId) {
        requireNonNull(sessionId, "sessionId");
        changes.incrementAndGet();
        grants.forEach((channel, registered) -> {
            if (sessionId.equals(registered.grant().sessionId())) {
                revoke(channel, registered, "session-ended");
            }
        });
    }

    private void closeExpired() {
        Instant now = clock.instant();
        grants.forEach((channel, registered) -> {
            if (!now.isBefore(registered.grant().expiresAt())) {
                revoke(channel, registered, "token-expired");
            }
        });
    }

    private void revoke(Channel channel, Registered registered, String reason) {
        if (grants.remove(channel, registered)) {
            Grant grant = registered.grant();
            audit.revoked(reason, grant.principal(), grant.workspaceId(), grant.port(), clientOf(channel));
            close(channel, reason);
        }
    }

    /** The client's address; an HTTP/2 stream's is its connection's. */
    private static InetSocketAddress clientOf(Channel channel) {
        Channel connection = channel instanceof Http2StreamChannel ? channel.parent() : channel;
        return connection.remoteAddress() instanceof InetSocketAddress address ? address : null;
    }

    /**
     * How a tunnel's channel is ended with a reason the client can read (a WebSocket close frame),
     * set by the proxy on channels that became WebSocket tunnels; other channels are just closed.
     */
    public static final AttributeKey<BiConsumer<Channel, String>> CLOSE_WITH_REASON =
            AttributeKey.valueOf("portcullis.closeWithReason");

    private static void close(Channel channel, String reason) {
        BiConsumer<Channel, String> closer = channel.attr(CLOSE_WITH_REASON).get();
        if (closer != null) {
            closer.accept(channel, reason);
        } else {
            channel.close();
        }
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
