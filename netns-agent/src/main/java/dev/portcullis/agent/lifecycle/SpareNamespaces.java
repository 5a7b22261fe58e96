package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.netlink.Links;
import dev.portcullis.agent.kernel.netlink.NetlinkException;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.kernel.netlink.NetworkNamespaces;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few workspace networks made ahead of demand, each bound to a free address slot: a namespace with
 * the workspace namespace's sysctls and a netlink socket open inside it, its veth pair under the slot's
 * final link name ({@link KernelNames#slotInterface}), the addresses of both ends, the route inside and
 * the agent's default limits; only the host end stays down. A create claims one ({@link #claimAny},
 * or {@link #claim} the slot of a requested address), records the workspace at the spare's slot, gives
 * the namespace the workspace's name ({@link #name}) and sets the host end up: under the kernel's rtnl
 * lock, which serialises every link and address change on the host, a create then sends one request
 * instead of ten (docs/benchmarks.md, "slot-bound spares"). One background thread makes them again,
 * one at a time, as they are taken, at the lowest CPU priority (nice 19), and removes a taken spare's
 * old name, which costs the mount table's lock and an RCU grace period that a create need not wait for.
 *
 * <p>Slots: a spare's slot is reserved in memory only ({@link #reserveFree}, under the state lock
 * where creates pick theirs), from before its link exists until a record holds the slot or the spare
 * is gone; no create picks a reserved slot but through its spare, and reconcile leaves a reserved
 * slot's link alone ({@link #holdsLink}). A killed agent's reservations die with it: its spares are
 * stale at the next start, and reconcile removes their links as orphans and their namespaces by name.
 *
 * <p>Names: {@link KernelNames#spareNamespace}, which no workspace can have. A spare is never a
 * workspace until it is named: reconcile deletes every spare of the agent's prefix that this pool
 * does not hold ({@link #holds}), so what an agent killed with spares left (or killed while naming
 * one) is removed at the next start; a named one that still has its spare name too keeps its
 * namespace through the workspace's name.
 */
final class SpareNamespaces implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpareNamespaces.class);
    private static final int EEXIST = 17;
    /** Every network namespace's loopback has index 1 (the kernel's LOOPBACK_IFINDEX). */
    static final int LOOPBACK_INDEX = 1;
    private static final int NOT_BUILDING = -1;
    private static final Duration BUILDING_WAIT = Duration.ofSeconds(1);

    /** The part of a slot's network that does not depend on the workspace: {@link WorkspacePlumbing#prepareSlot}. */
    interface SlotNetwork {
        /** Makes the slot's veth pair, born into {@code namespace} (reached through {@code inside}), and returns its ends' indexes. */
        Pair prepare(int slot, String namespace, NetlinkSocket inside);
    }

    /** A slot's veth pair: the host end's index in the host, eth0's inside the namespace. */
    record Pair(int hostIndex, int peerIndex) {}

    /**
     * A spare that is ready, or claimed by a create: its name, a socket inside it, its slot and the
     * slot's link ({@code link}, down, addressed, shaped at the defaults) with its pair's indexes.
     */
    record Spare(String name, NetlinkSocket socket, int slot, String link, Pair pair) {}

    private final KernelNames names;
    private final IpRoute ip;
    private final int size;
    private final Map<String, String> sysctls;
    private final SlotNetwork network;
    /** Reserves the lowest free slot for the next spare, under the state lock ({@link #reserveFree}); empty when none is free. */
    private final Supplier<OptionalInt> nextSlot;
    /** Ready spares by slot: a create without a requested address takes the lowest. */
    private final ConcurrentSkipListMap<Integer, Spare> ready = new ConcurrentSkipListMap<>();
    /** Slots of spares being made, ready or claimed, until a record holds the slot or the spare is gone. */
    private final Set<Integer> reserved = ConcurrentHashMap.newKeySet();
    /** The slot of the spare being made, {@link #NOT_BUILDING} between two. */
    private volatile int building = NOT_BUILDING;
    /** A create waits for the spare being made (only one at a time: the others make their own). */
    private final AtomicBoolean waiting = new AtomicBoolean();
    /** Old names of spares a create has taken (the workspace's name holds the namespace): removed in the background. */
    private final ConcurrentLinkedDeque<String> oldNames = new ConcurrentLinkedDeque<>();
    /** Every spare name this pool has a handle for, from before it is made until its handle is gone. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    /** From the clock, so an agent's spares never have the names of those its predecessor left (see {@link #fill}). */
    private final AtomicLong numbers = new AtomicLong(System.currentTimeMillis());
    /** Notified when a spare is taken, made, given back or dropped: the filler and the creates that wait for one. */
    private final Object changes = new Object();
    private volatile boolean stopped;
    private volatile Thread filler;

    SpareNamespaces(KernelNames names, IpRoute ip, int size, Map<String, String> sysctls, SlotNetwork network,
            Supplier<OptionalInt> nextSlot) {
        this.names = requireNonNull(names, "names");
        this.ip = requireNonNull(ip, "ip");
        if (size < 0) {
            throw new IllegalArgumentException("spare namespaces: " + size + " (expected: >= 0)");
        }
        this.size = size;
        this.sysctls = Map.copyOf(requireNonNull(sysctls, "sysctls"));
        this.network = requireNonNull(network, "network");
        this.nextSlot = requireNonNull(nextSlot, "nextSlot");
    }

    /**
     * Makes the first spare before it returns (so the first create after a start finds one, at the
     * first free slot, however busy the machine), then the rest in the background, up to the size;
     * nothing when the size is 0.
     */
    void start() {
        if (size == 0 || stopped || filler != null) {
            return;
        }
        makeNext();
        filler = Thread.ofPlatform().daemon().name("spare namespaces").start(this::fill);
    }

    /**
     * Reserves the lowest slot that is neither {@code used} nor reserved; call under the state lock,
     * with the newest applied state's slots (see {@link AgentState#withLatest}).
     */
    OptionalInt reserveFree(Set<Integer> used, int slotCount) {
        for (int slot = 0; slot < slotCount; slot++) {
            if (!used.contains(slot) && reserved.add(slot)) {
                building = slot; // at once: a create that sees the slot reserved also sees it being made (claimAny)
                return OptionalInt.of(slot);
            }
        }
        return OptionalInt.empty();
    }

    /** True while a spare holds {@code slot}: no create may pick it but the one that claimed that spare. */
    boolean isReserved(int slot) {
        return reserved.contains(slot);
    }

    /** True for the link of a slot a spare holds: reconcile leaves it (it is no orphan). */
    boolean holdsLink(String link) {
        return reserved.stream().anyMatch(slot -> names.slotInterface(slot).equals(link));
    }

    /**
     * Claims the ready spare of the lowest slot. When none is ready but one is being made, the first
     * create to come waits for that one (making one takes a few milliseconds, less than a create
     * spends making its own network; {@link #BUILDING_WAIT} at most, for a machine too busy to give
     * the pool's nice-19 thread a core), so the first create after a start gets the first slot; the
     * others, and any create when none is being made, get nothing (they make their own).
     */
    Optional<Spare> claimAny() {
        Map.Entry<Integer, Spare> first = ready.pollFirstEntry();
        int awaited = building;
        if (first == null && awaited != NOT_BUILDING && waiting.compareAndSet(false, true)) {
            try {
                awaitWhile(() -> ready.isEmpty() && building == awaited, BUILDING_WAIT);
            } finally {
                waiting.set(false);
            }
            first = ready.pollFirstEntry();
        }
        if (first == null) {
            return Optional.empty();
        }
        changed();
        return Optional.of(first.getValue());
    }

    /**
     * Claims the spare of {@code slot} (a requested address); if it is being made right now, waits
     * for it (a few milliseconds; at most {@code wait}), since a create must not build a link of the
     * name the spare's pair has. Empty when the slot has no spare, or another create claimed it.
     */
    Optional<Spare> claim(int slot, Duration wait) {
        awaitWhile(() -> building == slot, wait);
        Spare spare = ready.remove(slot);
        if (spare != null) {
            changed();
        }
        return Optional.ofNullable(spare);
    }

    /**
     * Waits (at most {@code wait}) for the pool to change: a create that found every free slot
     * reserved by spares, none ready, waits for the one being made, or for another create to give
     * back the one it claimed.
     */
    void awaitChange(Duration wait) {
        synchronized (changes) {
            awaitChange(Math.max(1, wait.toMillis()));
        }
    }

    /** The record holds the spare's slot now: the reservation is no longer needed. */
    void release(Spare spare) {
        reserved.remove(spare.slot());
        changed();
    }

    /** A create that claimed {@code spare} recorded nothing (its request was refused): ready again. */
    void giveBack(Spare spare) {
        if (stopped) {
            discard(spare);
            return;
        }
        ready.put(spare.slot(), spare);
        changed();
    }

    /**
     * Gives a claimed spare the workspace's name; false when the kernel refuses (the spare is then
     * deleted, and the create makes its own namespace and pair). {@code namespace} must not exist.
     */
    boolean name(Spare spare, String namespace) {
        try {
            ip.announceChange("name network namespace " + spare.name() + " as " + namespace);
            NetworkNamespaces.addName(spare.name(), namespace);
        } catch (NetlinkException e) {
            log.warn("could not give spare {} the name {} (the create makes its own): {}", spare.name(), namespace,
                    e.getMessage());
            discard(spare);
            return false;
        }
        // From here the workspace's name holds the namespace: the spare's name goes in the background.
        oldNames.addLast(spare.name());
        changed();
        return true;
    }

    /** True for a spare name this pool made and has not yet given away or removed: reconcile leaves it. */
    boolean holds(String namespace) {
        return held.contains(namespace);
    }

    /** The spares ready now, by name (for status and tests). */
    List<String> ready() {
        return ready.values().stream().map(Spare::name).toList();
    }

    /** Stops making spares; those made stay (a crashed agent leaves them: reconcile removes them at the next start). */
    void stop() {
        stopped = true;
        changed();
        Thread thread = filler;
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops making spares and deletes the ready ones. */
    @Override
    public void close() {
        stop();
        for (Map.Entry<Integer, Spare> spare = ready.pollFirstEntry(); spare != null; spare = ready.pollFirstEntry()) {
            discard(spare.getValue());
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
            if (ready.size() >= size) {
                awaitTake();
                continue;
            }
            if (!makeNext()) {
                awaitTake(); // every slot is a workspace's or a spare's: a delete frees one
            }
        }
    }

    /** Makes a spare at the next free slot; false when no slot is free. */
    private boolean makeNext() {
        OptionalInt slot = nextSlot.get();
        if (slot.isEmpty()) {
            return false;
        }
        try {
            make(slot.getAsInt());
        } finally {
            building = NOT_BUILDING;
            changed();
        }
        return true;
    }

    /** Makes one spare at {@code slot} (reserved); on failure nothing of it is left and the slot is free again. */
    private void make(int slot) {
        long number = numbers.incrementAndGet();
        String name = names.spareNamespace(number);
        held.add(name);
        NetlinkSocket socket = null;
        try {
            socket = NetworkNamespaces.create(name, sysctls, true);
            Spare spare = new Spare(name, socket, slot, names.slotInterface(slot), network.prepare(slot, name, socket));
            if (stopped) {
                discard(spare);
                return;
            }
            ready.put(slot, spare);
        } catch (RuntimeException e) {
            if (socket != null) {
                discard(new Spare(name, socket, slot, names.slotInterface(slot), null));
            } else {
                held.remove(name);
                reserved.remove(slot);
            }
            if (e instanceof NetlinkException netlink && netlink.errno() == EEXIST && socket == null) {
                return; // a name left by an agent before this one, not yet reconciled: the next number
            }
            log.warn("could not make a spare namespace (creates make their own meanwhile): {}", e.toString());
            pause();
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

    /**
     * Deletes a spare that no workspace has (also one a create claimed but cannot use): its pair, its
     * namespace; its slot is free again.
     */
    void discard(Spare spare) {
        // The pair first: a deleted namespace releases its links later, in the background, and the
        // slot's link name must be free for the next create or spare at that slot.
        try {
            new Links(spare.socket()).delete(KernelNames.WORKSPACE_DEVICE);
        } catch (NetlinkException e) {
            log.debug("spare {}: its eth0 is gone already: {}", spare.name(), e.getMessage());
        }
        spare.socket().close();
        try {
            if (ip.namespaceExists(spare.name())) {
                ip.deleteNamespace(spare.name());
            }
        } catch (RuntimeException e) {
            log.warn("could not delete spare namespace {}: {}", spare.name(), e.getMessage()); // reconcile removes it as a stale spare
        } finally {
            held.remove(spare.name());
            reserved.remove(spare.slot());
            changed();
        }
    }

    private void changed() {
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    /** Waits while {@code condition} holds, for at most {@code wait}, waking at every change of the pool. */
    private void awaitWhile(BooleanSupplier condition, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (changes) {
            while (condition.getAsBoolean() && !stopped && System.nanoTime() < deadline) {
                awaitChange(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        }
    }

    /** Under the {@link #changes} monitor. */
    private void awaitChange(long millis) {
        try {
            changes.wait(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for a take, a delete or a dropped spare (the pool is full, or no slot is free). */
    private void awaitTake() {
        synchronized (changes) {
            if (!stopped && oldNames.isEmpty()) {
                try {
                    changes.wait(1000);
                } catch (InterruptedException e) {
                    stopped = true;
                }
            }
        }
    }

    /** After a failure: a second before the next try, so a kernel that refuses does not spin a core. */
    private void pause() {
        synchronized (changes) {
            try {
                changes.wait(1000);
            } catch (InterruptedException e) {
                stopped = true;
            }
        }
    }
}
