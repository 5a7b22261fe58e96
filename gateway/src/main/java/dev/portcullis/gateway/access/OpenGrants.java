package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Principal;
import java.net.InetAddress;
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
import java.util.function.Supplier;

/**
 * Every open client connection, HTTP/2 stream and WebSocket tunnel that a decision allowed ({@link
 * Revocable}), tagged with who it runs as and until when. Each HTTP/2 stream holds a grant of its
 * own, so the streams of one connection may run under different principals, ports or tokens, and
 * a revocation resets exactly the streams it ends. Access must end on the wire, not only for the
 * next request:
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
     * What allowed one connection's current request, one tunnel or one HTTP/2 stream.
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
     * A grant and where its holder's bytes go: the workspace's address and whether its port speaks
     * TLS, as the proxy routed it. A route that says otherwise now ends the grant. One object per
     * registration (an HTTP/2 stream makes one; a keep-alive connection under the same grant none).
     */
    private record Registered(Grant grant, InetAddress address, boolean tls) {
        /** Whether {@code route} still sends the grant's port's bytes here. */
        boolean reachedThrough(WorkspaceRoute route) {
            return route.address().equals(address) && route.tlsPorts().contains(grant.port()) == tls;
        }
    }

    private final Map<Revocable, Registered> grants = new ConcurrentHashMap<>();
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
     * {@code holder} now serves under {@code grant}, replacing what it served under before, and its
     * bytes go to {@code address} ({@code tls}: over TLS): where the proxy routed it, not where the
     * route says now, so a move between the routing and this call still ends it. It is forgotten
     * once it closes.
     */
    public void register(Revocable holder, Grant grant, InetAddress address, boolean tls) {
        Registered current = grants.get(holder);
        if (current != null && current.grant() == grant && current.tls() == tls && current.address().equals(address)) {
            // The next request of a keep-alive connection under the same (reused) grant: every change
            // since it was registered was re-decided against it already.
            return;
        }
        Registered registered = new Registered(grant, address, tls);
        if (grants.put(holder, registered) == null) {
            holder.whenClosed(() -> grants.remove(holder));
        }
        // A change that landed after the routing was re-decided before this grant existed.
        String gone = whereaboutsChanged(registered, routes.get());
        if (gone != null) {
            revoke(holder, registered, gone);
        }
    }

    /** Why the holder no longer reaches its workspace as routed, or null while it does. */
    private static String whereaboutsChanged(Registered registered, RouteTable table) {
        WorkspaceRoute route = table.lookup(registered.grant().workspaceId());
        if (route == null) {
            return "workspace-deleted";
        }
        if (!route.running()) {
            return "workspace-stopped";
        }
        return registered.reachedThrough(route) ? null : "workspace-moved";
    }

    /** The grants of everything open, as they are now (the console's dry run re-decides them). */
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

    /** How many connections, tunnels and HTTP/2 streams are open under a grant. */
    public int size() {
        return grants.size();
    }

    /**
     * Re-decides every grant against the current routes and access state and ends what is now
     * denied or relayed to where the workspace no longer is. Called after every change, on the
     * thread that made it.
     */
    public void revalidate() {
        changes.incrementAndGet();
        RouteTable table = routes.get();
        AccessSnapshot snapshot = access.get();
        grants.forEach((holder, registered) -> {
            Grant grant = registered.grant();
            String reason = whereaboutsChanged(registered, table);
            if (reason == null && !snapshot.decide(grant.principal(), table.lookup(grant.workspaceId()), grant.port(),
                    grant.method(), grant.path()).isAllowed()) {
                reason = "access-withdrawn";
            }
            if (reason == null) {
                return;
            }
            revoke(holder, registered, reason);
        });
    }

    /** The browser sessions that open connections and streams run under. */
    public Set<String> sessionsInUse() {
        Set<String> inUse = new HashSet<>();
        grants.values().forEach(registered -> {
            if (registered.grant().sessionId() != null) {
                inUse.add(registered.grant().sessionId());
            }
        });
        return inUse;
    }

    /** Ends, at once, everything that runs under the browser session {@code sessionId} (it ended). */
    public void endSession(String sessionId) {
        requireNonNull(sessionId, "sessionId");
        changes.incrementAndGet();
        grants.forEach((holder, registered) -> {
            if (sessionId.equals(registered.grant().sessionId())) {
                revoke(holder, registered, "session-ended");
            }
        });
    }

    private void closeExpired() {
        Instant now = clock.instant();
        grants.forEach((holder, registered) -> {
            if (!now.isBefore(registered.grant().expiresAt())) {
                revoke(holder, registered, "token-expired");
            }
        });
    }

    private void revoke(Revocable holder, Registered registered, String reason) {
        if (grants.remove(holder, registered)) {
            Grant grant = registered.grant();
            audit.revoked(reason, grant.principal(), grant.workspaceId(), grant.port(), holder.remoteAddress());
            holder.revoke(reason);
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
