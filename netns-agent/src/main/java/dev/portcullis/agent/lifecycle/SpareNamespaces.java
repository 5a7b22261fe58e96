package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.netlink.Links;
import dev.portcullis.agent.kernel.netlink.NetlinkException;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.kernel.netlink.NetworkNamespaces;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few network namespaces made ahead of demand, each with the workspace namespace's own sysctls
 * already set and a netlink socket open inside it. A create takes one and gives it the workspace's
 * name ({@link #take}) instead of making its own: making a namespace is the kernel's slowest part of
 * a create (unshare, and the first lookup of its /proc/sys/net entries), and it serialises creates
 * that run at once. One background thread makes them again, one at a time, as they are taken, at the
 * lowest CPU priority (nice 19), and removes a taken spare's old name, which costs the mount
 * table's lock and an RCU grace period that a create need not wait for.
 *
 * <p>Names: {@link KernelNames#spareNamespace}, which no workspace can have. A spare is never a
 * workspace until it is renamed: reconcile deletes every spare of the agent's prefix that this pool
 * does not hold ({@link #holds}), so what an agent killed with spares left (or killed while renaming
 * one) is removed at the next start; a renamed one that still has its spare name too keeps its
 * namespace through the workspace's name.
 */
final class SpareNamespaces implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpareNamespaces.class);
    private static final int EEXIST = 17;
    /** Every network namespace's loopback has index 1 (the kernel's LOOPBACK_IFINDEX). */
    static final int LOOPBACK_INDEX = 1;

    /**
     * A spare that is ready: its name, a socket inside it, and its veth pair: the host end {@code link}
     * (index {@code linkIndex} in the host, down, its sysctls set) and {@code eth0} inside (index
     * {@code peerIndex} there, up, as is {@code lo}).
     */
    private record Spare(String name, NetlinkSocket socket, String link, int linkIndex, int peerIndex) {}

    /**
     * A spare given a workspace's name: the socket inside it and, when its veth pair could be renamed
     * too, the host end's index and eth0's (-1 when the create must make its own pair: the namespace is
     * then empty but for lo).
     */
    record Taken(NetlinkSocket socket, int hostIndex, int peerIndex) {
        boolean withPair() {
            return hostIndex > 0;
        }
    }

    private final KernelNames names;
    private final IpRoute ip;
    private final int size;
    private final Map<String, String> sysctls;
    /** The host end's sysctls by link name: those of a workspace's host end, none of which depend on the workspace. */
    private final java.util.function.Function<String, Map<String, String>> hostEndSysctls;
    private final ConcurrentLinkedDeque<Spare> ready = new ConcurrentLinkedDeque<>();
    /** Old names of spares a create has taken (the workspace's name holds the namespace): removed in the background. */
    private final ConcurrentLinkedDeque<String> oldNames = new ConcurrentLinkedDeque<>();
    /** Every spare name this pool has a handle for, from before it is made until its handle is gone. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    /** From the clock, so an agent's spares never have the names of those its predecessor left (see {@link #fill}). */
    private final AtomicLong numbers = new AtomicLong(System.currentTimeMillis());
    private final Object refill = new Object();
    private volatile boolean stopped;
    private volatile Thread filler;

    SpareNamespaces(KernelNames names, IpRoute ip, int size, Map<String, String> sysctls,
            java.util.function.Function<String, Map<String, String>> hostEndSysctls) {
        this.names = requireNonNull(names, "names");
        this.ip = requireNonNull(ip, "ip");
        if (size < 0) {
            throw new IllegalArgumentException("spare namespaces: " + size + " (expected: >= 0)");
        }
        this.size = size;
        this.sysctls = Map.copyOf(requireNonNull(sysctls, "sysctls"));
        this.hostEndSysctls = requireNonNull(hostEndSysctls, "hostEndSysctls");
    }

    /** Starts making spares in the background, up to the size; nothing when the size is 0. */
    void start() {
        if (size == 0 || stopped || filler != null) {
            return;
        }
        filler = Thread.ofPlatform().daemon().name("spare namespaces").start(this::fill);
    }

    /**
     * Renames a ready spare to {@code namespace} and its veth pair's host end to {@code hostLink}
     * (through {@code host}, a socket in the host's namespace); empty when none is ready (or the one
     * taken could not be renamed: it is deleted), and the caller makes its own. {@code namespace} and
     * {@code hostLink} must not exist. If only the link cannot be renamed, the pair is deleted and the
     * caller makes its own pair in the namespace it got.
     */
    Optional<Taken> take(String namespace, String hostLink, Links host) {
        Spare spare = ready.pollFirst();
        if (spare == null) {
            return Optional.empty();
        }
        wake();
        try {
            ip.announceChange("name network namespace " + spare.name() + " as " + namespace);
            NetworkNamespaces.addName(spare.name(), namespace);
        } catch (NetlinkException e) {
            log.warn("could not give spare {} the name {} (the create makes its own): {}", spare.name(), namespace,
                    e.getMessage());
            discard(spare);
            return Optional.empty();
        }
        // From here the workspace's name holds the namespace: the spare's name goes in the background.
        oldNames.addLast(spare.name());
        wake();
        try {
            ip.announceChange("rename link " + spare.link() + " to " + hostLink);
            host.rename(spare.linkIndex(), spare.link(), hostLink);
            return Optional.of(new Taken(spare.socket(), spare.linkIndex(), spare.peerIndex()));
        } catch (NetlinkException e) {
            log.warn("could not rename {}, the link of spare {}, to {} (the create makes its own pair): {}", spare.link(),
                    spare.name(), hostLink, e.getMessage());
            try {
                new Links(spare.socket()).delete(KernelNames.WORKSPACE_DEVICE); // its host end goes with it
            } catch (RuntimeException undo) {
                spare.socket().close(); // the create fails; its rollback or the next pass removes the namespace
                undo.addSuppressed(e);
                throw undo;
            }
            return Optional.of(new Taken(spare.socket(), -1, -1));
        }
    }

    /** True for a spare name this pool made and has not yet given away or removed: reconcile leaves it. */
    boolean holds(String namespace) {
        return held.contains(namespace);
    }

    /** The spares ready now, by name (for status and tests). */
    List<String> ready() {
        return ready.stream().map(Spare::name).toList();
    }

    /** Stops making spares; those made stay (a crashed agent leaves them: reconcile removes them at the next start). */
    void stop() {
        stopped = true;
        wake();
        Thread thread = filler;
        if (thread != null) {
            try {
                thread.join(java.time.Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops making spares and deletes the ready ones. */
    @Override
    public void close() {
        stop();
        for (Spare spare = ready.pollFirst(); spare != null; spare = ready.pollFirst()) {
            discard(spare);
        }
        for (String name = oldNames.pollFirst(); name != null; name = oldNames.pollFirst()) {
            removeOldName(name);
        }
    }

    private void fill() {
        while (!stopped) {
            String oldName = oldNames.pollFirst();
            if (oldName != null) {
                removeOldName(oldName);
                continue;
            }
            if (held.size() >= size) {
                awaitTake();
                continue;
            }
            long number = numbers.incrementAndGet();
            String name = names.spareNamespace(number);
            held.add(name);
            NetlinkSocket socket = null;
            try {
                socket = NetworkNamespaces.create(name, sysctls, true);
                Spare spare = withPair(name, socket, names.spareHostLink(number));
                if (stopped) {
                    discard(spare);
                    return;
                }
                ready.addLast(spare);
            } catch (RuntimeException e) {
                if (socket != null) {
                    discard(new Spare(name, socket, "", -1, -1));
                }
                held.remove(name);
                if (e instanceof NetlinkException netlink && netlink.errno() == EEXIST) {
                    continue; // a name left by an agent before this one, not yet reconciled: the next number
                }
                log.warn("could not make a spare namespace (creates make their own meanwhile): {}", e.toString());
                pause();
            }
        }
    }

    /**
     * The workspace-independent part of a workspace's veth pair, made ahead: the pair (host end
     * {@code link}, eth0 born inside), the host end's sysctls (forwarding, rp_filter, disable_ipv6: the
     * last one has no netlink setter and its file's handler takes the kernel's network lock), lo and
     * eth0 up. The host end stays down (the kernel renames only a link that is down) and has no address,
     * so nothing reaches the host through it before a create gives it a workspace.
     */
    private Spare withPair(String name, NetlinkSocket socket, String link) {
        try (NetlinkSocket hostSocket = NetlinkSocket.open("the host")) {
            Links host = new Links(hostSocket);
            host.addVethPair(link, KernelNames.WORKSPACE_DEVICE, name);
            int linkIndex = host.requireIndex(link);
            WorkspacePlumbing.setHostSysctls(ip, host, linkIndex, link, hostEndSysctls.apply(link));
            Links inside = new Links(socket);
            int peerIndex = inside.requireIndex(KernelNames.WORKSPACE_DEVICE);
            inside.setUp(LOOPBACK_INDEX, "lo");
            inside.setUp(peerIndex, KernelNames.WORKSPACE_DEVICE);
            return new Spare(name, socket, link, linkIndex, peerIndex);
        }
    }

    /** The spare's name of a namespace that a workspace's name holds now; the namespace stays. */
    private void removeOldName(String name) {
        try {
            ip.deleteNamespace(name);
        } catch (NetlinkException e) {
            log.warn("could not remove {}, the old name of a spare a workspace took (the next reconcile does): {}", name,
                    e.getMessage());
        }
        held.remove(name);
    }

    private void discard(Spare spare) {
        if (!spare.link().isEmpty()) {
            // The pair first: a deleted namespace releases its links later, in the background.
            try {
                new Links(spare.socket()).delete(KernelNames.WORKSPACE_DEVICE);
            } catch (NetlinkException e) {
                log.debug("spare {}: its eth0 is gone already: {}", spare.name(), e.getMessage());
            }
        }
        spare.socket().close();
        try {
            if (ip.namespaceExists(spare.name())) {
                ip.deleteNamespace(spare.name());
            }
            held.remove(spare.name());
        } catch (RuntimeException e) {
            held.remove(spare.name()); // reconcile removes it as a stale spare
            log.warn("could not delete spare namespace {}: {}", spare.name(), e.getMessage());
        }
    }

    private void wake() {
        synchronized (refill) {
            refill.notifyAll();
        }
    }

    private void awaitTake() {
        synchronized (refill) {
            if (!stopped && oldNames.isEmpty() && held.size() >= size) {
                try {
                    refill.wait(1000);
                } catch (InterruptedException e) {
                    stopped = true;
                }
            }
        }
    }

    /** After a failure: a second before the next try, so a kernel that refuses does not spin a core. */
    private void pause() {
        synchronized (refill) {
            try {
                refill.wait(1000);
            } catch (InterruptedException e) {
                stopped = true;
            }
        }
    }
}
