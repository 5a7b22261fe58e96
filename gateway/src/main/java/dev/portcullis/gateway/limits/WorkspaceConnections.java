package dev.portcullis.gateway.limits;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.config.WorkspaceConnectionLimits;
import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.channel.Channel;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who may hold how many workspace connections (issue 17, item 1). Each HTTP/2 stream, and each
 * HTTP/1.1 request, whose body never ends holds a workspace connection — a file descriptor — for as
 * long as the client likes; without bounds 156 connections of 128 streams took a gateway to its 20 000
 * descriptors. A request takes a {@link Lease} before it borrows a workspace connection and gives it
 * back when its response ended (or its tunnel closed); a lease is refused when the client connection,
 * the principal or the workspace already holds its most. A workspace connection that has to be opened
 * also needs a descriptor from the {@link DescriptorBudget}. Each refusal is answered {@code 503} with
 * {@code Retry-After} and counted in {@code portcullis_workspace_connection_refusals_total}.
 *
 * <p>Taken and given back for every request, so it allocates nothing on the way once warm: a client
 * connection's count lives on the connection (a channel attribute, gone with it), a principal is
 * counted under the user's name or the client's address as it is (no key built per request), and
 * the counts of principals and workspaces keep their counters between requests ({@link KeyedCounts}).
 */
public final class WorkspaceConnections implements AutoCloseable {
    /** How often the descriptors the process has open are read from the operating system. */
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(1);

    /** The limit that refused, as named in the metrics' {@code limit} label. */
    public enum Limit {
        PER_CLIENT_CONNECTION("per_client_connection"),
        PER_PRINCIPAL("per_principal"),
        PER_WORKSPACE("per_workspace"),
        DESCRIPTORS("descriptors");

        private final String label;

        Limit(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** What {@link #acquire} gives: a lease, or the refusal to answer. */
    public sealed interface Acquisition permits Lease, Refusal {}

    /** Why a request gets no workspace connection, in words for its {@code 503}. */
    public record Refusal(Limit limit, String detail) implements Acquisition {}

    /** One request's hold on a workspace connection; {@link #release} any number of times, it counts once. */
    public final class Lease implements Acquisition {
        private static final VarHandle RELEASED;

        static {
            try {
                RELEASED = MethodHandles.lookup().findVarHandle(Lease.class, "released", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final AtomicInteger clientConnection;
        private final Object principal;
        private final String workspace;
        // Set once through RELEASED (an AtomicBoolean would be one more object per request).
        @SuppressWarnings("unused")
        private volatile boolean released;

        private Lease(AtomicInteger clientConnection, Object principal, String workspace) {
            this.clientConnection = clientConnection;
            this.principal = principal;
            this.workspace = workspace;
        }

        public void release() {
            if (RELEASED.compareAndSet(this, false, true)) {
                workspaces.release(workspace);
                principals.release(principal);
                clientConnection.decrementAndGet();
                metrics.workspaceConnectionsHeld(-1);
            }
        }
    }

    /** The requests a client connection holds open to workspaces. */
    private static final AttributeKey<AtomicInteger> HELD_BY_CONNECTION =
            AttributeKey.valueOf(WorkspaceConnections.class, "heldByConnection");

    private final int perClientConnection;
    // A user's name (String) or, without one, the client's address (InetAddress): never equal to each other.
    private final KeyedCounts<Object> principals;
    private final KeyedCounts<String> workspaces;
    private final DescriptorBudget descriptors;
    private final GatewayMetrics metrics;
    private final ScheduledExecutorService sampler;

    WorkspaceConnections(WorkspaceConnectionLimits limits, DescriptorBudget descriptors, GatewayMetrics metrics,
                         ScheduledExecutorService sampler) {
        if (limits.perClientConnection() < 1) {
            throw new IllegalArgumentException("perClientConnection: " + limits.perClientConnection() + " (expected: >= 1)");
        }
        this.perClientConnection = limits.perClientConnection();
        this.principals = new KeyedCounts<>(limits.perPrincipal());
        this.workspaces = new KeyedCounts<>(limits.perWorkspace());
        this.descriptors = requireNonNull(descriptors, "descriptors");
        this.metrics = requireNonNull(metrics, "metrics");
        this.sampler = sampler;
    }

    /** The limits of {@code limits}, with the descriptors the process has open read every {@link #SAMPLE_EVERY}. */
    public static WorkspaceConnections start(WorkspaceConnectionLimits limits, GatewayMetrics metrics) {
        requireNonNull(limits, "limits");
        DescriptorBudget budget = DescriptorBudget.of(limits);
        // Its own thread: reading /proc/self/fd takes milliseconds at tens of thousands of
        // descriptors, which an event loop (or the accept loop) should not spend.
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "gateway-descriptors");
            thread.setDaemon(true);
            return thread;
        });
        WorkspaceConnections made = new WorkspaceConnections(limits, budget, metrics, sampler);
        made.sample();
        sampler.scheduleWithFixedDelay(made::sample, SAMPLE_EVERY.toMillis(), SAMPLE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return made;
    }

    private void sample() {
        principals.sweep();
        workspaces.sweep();
        descriptors.sample();
        metrics.fileDescriptors(descriptors.budget(), descriptors.reserve(), descriptors.inUse());
    }

    /**
     * A lease for a request on {@code clientConnection} (the TCP connection: an HTTP/2 stream's parent)
     * by {@code user} (null when anonymous or without access control: the client's address stands in)
     * to {@code workspace}; or the refusal of the first limit it meets.
     */
    public Acquisition acquire(Channel clientConnection, String user, InetAddress clientAddress, String workspace) {
        Object principal = user != null ? user : requireNonNull(clientAddress, "clientAddress");
        AtomicInteger onConnection = heldBy(clientConnection);
        if (!tryIncrement(onConnection)) {
            return refuse(Limit.PER_CLIENT_CONNECTION, "This connection already has " + perClientConnection
                    + " requests open to workspaces (limits.maxWorkspaceConnectionsPerClientConnection).");
        }
        if (!principals.tryAcquire(principal)) {
            onConnection.decrementAndGet();
            return refuse(Limit.PER_PRINCIPAL, (user != null ? "You already have " : "This address already has ")
                    + principals.max() + " requests open to workspaces (limits.maxWorkspaceConnectionsPerPrincipal).");
        }
        if (!workspaces.tryAcquire(workspace)) {
            principals.release(principal);
            onConnection.decrementAndGet();
            return refuse(Limit.PER_WORKSPACE, "Workspace '" + workspace + "' already has " + workspaces.max()
                    + " requests open (limits.maxWorkspaceConnectionsPerWorkspace).");
        }
        metrics.workspaceConnectionsHeld(1);
        return new Lease(onConnection, principal, workspace);
    }

    private static AtomicInteger heldBy(Channel clientConnection) {
        Attribute<AtomicInteger> attribute = clientConnection.attr(HELD_BY_CONNECTION);
        AtomicInteger held = attribute.get();
        if (held == null) {
            AtomicInteger first = new AtomicInteger();
            held = attribute.setIfAbsent(first);
            if (held == null) {
                held = first;
            }
        }
        return held;
    }

    private boolean tryIncrement(AtomicInteger held) {
        while (true) {
            int current = held.get();
            if (current >= perClientConnection) {
                return false;
            }
            if (held.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /**
     * A descriptor for a workspace connection about to be opened, given back when {@code opening}
     * closes; or the refusal when only the reserve is left.
     */
    public Refusal openDescriptor() {
        if (!descriptors.tryOpenWorkspaceConnection()) {
            return refuse(Limit.DESCRIPTORS, "The gateway is short of file descriptors; try again shortly.");
        }
        return null;
    }

    /** The descriptor {@link #openDescriptor} gave goes back when {@code connection} closes. */
    public void releaseDescriptorOnClose(Channel connection) {
        connection.closeFuture().addListener(closed -> descriptors.closed());
    }

    /** The budget client connections are accepted against. */
    public DescriptorBudget descriptors() {
        return descriptors;
    }

    private Refusal refuse(Limit limit, String detail) {
        metrics.workspaceConnectionRefused(limit.label());
        return new Refusal(limit, detail);
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }
}
