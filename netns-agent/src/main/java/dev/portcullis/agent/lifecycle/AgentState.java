package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.state.DesiredStateStore;
import dev.portcullis.policy.WorkspaceId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The agent's memory and its locks. Reads take no lock at all: the desired state is an immutable
 * snapshot behind a volatile field, and what the kernel was last seen to have sits in a concurrent
 * map. Writes take, in this order only:
 * <ol>
 *   <li>the workspace's own lock, for the whole create, delete or repair of that workspace (writes to
 *       different workspaces run side by side);</li>
 *   <li>the save lock (one file write at a time; its holder applies every caller's queued change, see
 *       {@link #update}) and the state lock, held briefly: to pick slots and save the file, and around
 *       the few host-wide changes that must see a desired state nobody changes meanwhile (reloading
 *       the table, removing orphans).</li>
 * </ol>
 * Nothing holds the state lock while it waits for a workspace lock, so there is no cycle.
 */
final class AgentState {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AgentState.class);

    private static final java.time.Duration DURABLE_DEADLINE = java.time.Duration.ofSeconds(20);
    /**
     * How long no save may have become durable before the state file is copied from the slots: a
     * burst of creates is over by then, and its flush rounds never queue behind the file's rename
     * (with the copy run as soon as the syncer caught up, one run of two had the creates among 20 at
     * once wait 2 ms p50 for their route's publication).
     */
    private static final long FILE_QUIET_MILLIS = 100;

    private final DesiredStateStore store;
    private final Runnable durableSync;
    private final ReentrantLock stateLock = new ReentrantLock();
    /** One file write at a time; taken before the state lock, never after it. */
    private final ReentrantLock saveLock = new ReentrantLock();
    private final ConcurrentHashMap<WorkspaceId, ReentrantLock> workspaceLocks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<WorkspaceId, ActualWorkspace> observed = new ConcurrentHashMap<>();
    /** The newest saved state: what everyone reads. */
    private volatile DesiredState desired;
    /** The newest applied state, saved or about to be (under the state lock). */
    private DesiredState latest;
    private long appliedVersion;
    /** Written under the save lock; read by the durable syncer and by {@link #awaitDurable}. */
    private volatile long savedVersion;
    /** The newest saved version that {@link #desired} shows too: what {@link #update}'s callers wait for. */
    private volatile long visibleVersion;
    /** Guards the three fields below and {@link #syncing}'s changes: how far the saves survive a power loss. */
    private final Object durability = new Object();
    /** The newest saved version that survives a power loss; read without the lock by {@link #awaitDurable}. */
    private volatile long durableVersion;
    private volatile boolean syncing;
    /** A copy of the state file is waiting for the saves to go quiet ({@link #copyFileWhenQuiet}). */
    private final java.util.concurrent.atomic.AtomicBoolean fileCopyPending = new java.util.concurrent.atomic.AtomicBoolean();
    private RuntimeException syncFailure;
    private long syncFailedThrough;
    /** Changes applied since the last save; under the save lock. */
    private final List<QueuedChange> unsaved = new ArrayList<>();
    /** Changes callers made that no one has applied yet (see {@link #update}). */
    private final ConcurrentLinkedQueue<QueuedChange> queued = new ConcurrentLinkedQueue<>();
    /** Callers waiting while another one saves (see {@link #update}). */
    private final Set<Thread> saveWaiters = ConcurrentHashMap.newKeySet();
    /** Callers waiting for a save to become durable (see {@link #awaitDurable}). */
    private final Set<Thread> durableWaiters = ConcurrentHashMap.newKeySet();

    AgentState(DesiredStateStore store, DesiredState loaded) {
        this(store, loaded, store::makeDurable);
    }

    /** {@code durableSync} makes the saves so far durable: the store's, or a test's that holds or fails it. */
    AgentState(DesiredStateStore store, DesiredState loaded, Runnable durableSync) {
        this.durableSync = requireNonNull(durableSync, "durableSync");
        this.store = requireNonNull(store, "store");
        this.desired = requireNonNull(loaded, "loaded");
        this.latest = loaded;
    }

    /** The current snapshot; never blocks. */
    DesiredState desired() {
        return desired;
    }

    /**
     * Applies a change and saves it before anyone sees it (write-ahead); a change that throws saves
     * nothing. Returns once a save that includes the change is on disk, with the change's version
     * (for {@link #awaitDurable(long)}).
     *
     * <p>Group commit: the caller queues its change; whoever holds the save lock (any caller) applies
     * every queued change in the order they came, under the state lock once for all of them (slot
     * picking sees every change applied before it), writes the newest state, which carries them all,
     * and wakes their callers. So creates of many workspaces at once cost a few file writes, not one
     * per create in a row, and no caller queues on a lock only to learn that its work is done (with
     * each caller taking the state lock and then the save lock itself, 20 creates at once were a chain
     * of 20 hand-overs of each lock, each a wake-up on a busy core: docs/benchmarks.md, "the group
     * commit's convoy"). If a write fails, every change it would have carried is dropped and each of
     * their callers gets the failure; a change that throws is dropped alone and its caller gets what it threw.
     *
     * <p>When this returns, the change is in a slot of the store (written in place, not yet
     * fsynced): a restarted agent reads it, but a power loss may not keep it. The flush that makes it
     * durable (that slot's data: {@link DesiredStateStore#makeDurable}) runs on a thread of its own,
     * beside the caller's kernel work, and whoever tells the world about the change (an answer, a
     * route) first calls {@link #awaitDurable}. So a create pays no fsync before it touches
     * the kernel. Why that is safe: what the state describes (namespaces, links, tables, qdiscs) lives
     * in the kernel's memory and is gone after a power loss anyway; what must not be lost is only what
     * was answered or published, and nothing is before its save is durable. A process that dies
     * (kill -9) leaves the page cache, so the next agent reads the written slot even without any
     * fsync: the write-ahead order against the kernel holds. After a power loss the newest slot may be
     * torn (its CRC fails); the store then reads the newest readable one (its generation). The
     * state file an operator reads follows once the saves have gone quiet ({@link #settle} at a stop).
     */
    long update(UnaryOperator<DesiredState> change) {
        QueuedChange mine = new QueuedChange(requireNonNull(change, "change"));
        queued.add(mine);
        while (!mine.settled(visibleVersion)) {
            if (saveLock.tryLock()) {
                try {
                    applyQueued();
                    if (!unsaved.isEmpty()) {
                        try {
                            flush();
                        } catch (RuntimeException e) {
                            // Every change the write carried, this caller's too, now has it as its failure.
                        }
                    }
                } finally {
                    saveLock.unlock();
                    wakeSaveWaiters();
                }
            } else {
                awaitSave(mine);
            }
        }
        if (mine.failure instanceof RuntimeException e) {
            throw e;
        } else if (mine.failure instanceof Error e) {
            throw e;
        }
        return mine.version;
    }

    /** A caller's change, queued until the save lock's holder applies it. */
    private static final class QueuedChange {
        final UnaryOperator<DesiredState> change;
        /** Written by the applier before {@link #applied}; read after it. */
        long version;
        /** What the change threw, or the failed save that dropped it. */
        volatile Throwable failure;
        volatile boolean applied;

        QueuedChange(UnaryOperator<DesiredState> change) {
            this.change = change;
        }

        /** Applied and then saved, refused by the change itself, or dropped by a failed save. */
        boolean settled(long visibleVersion) {
            return applied && (failure != null || version <= visibleVersion);
        }
    }

    /** Applies every queued change, in order, under the state lock; under the save lock. */
    private void applyQueued() {
        if (queued.isEmpty()) {
            return;
        }
        stateLock.lock();
        try {
            for (QueuedChange next = queued.poll(); next != null; next = queued.poll()) {
                try {
                    latest = next.change.apply(latest);
                    next.version = ++appliedVersion;
                    unsaved.add(next);
                } catch (RuntimeException | Error e) {
                    next.failure = e; // this change alone is dropped
                }
                next.applied = true;
            }
        } finally {
            stateLock.unlock();
        }
    }

    /**
     * Waits while another caller saves; it unparks every waiter when it lets go of the save lock.
     * Each waiter is unparked directly, not through a monitor's notifyAll, whose waiters must then
     * take the monitor back one after another: a chain of wake-ups again.
     */
    private void awaitSave(QueuedChange change) {
        Thread me = Thread.currentThread();
        boolean interrupted = false;
        saveWaiters.add(me);
        try {
            while (!change.settled(visibleVersion) && saveLock.isLocked()) {
                LockSupport.park(this);
                // Not given up on an interrupt: the queued change may be saved still, and its caller must know.
                interrupted |= Thread.interrupted();
            }
        } finally {
            saveWaiters.remove(me);
            if (interrupted) {
                me.interrupt();
            }
        }
    }

    private void wakeSaveWaiters() {
        unparkAll(saveWaiters);
    }

    private static void unparkAll(Set<Thread> waiters) {
        for (Thread waiter : waiters) {
            LockSupport.unpark(waiter);
        }
    }

    /** Saves the newest applied state; under the save lock. */
    private void flush() {
        DesiredState toSave;
        long version;
        stateLock.lock();
        try {
            toSave = latest;
            version = appliedVersion;
        } finally {
            stateLock.unlock();
        }
        try {
            store.write(toSave);
        } catch (RuntimeException e) {
            stateLock.lock();
            try {
                latest = desired; // the changes since the last save are dropped, their callers told
            } finally {
                stateLock.unlock();
            }
            IllegalStateException dropped = new IllegalStateException("the desired state could not be saved: "
                    + e.getMessage(), e);
            for (QueuedChange change : unsaved) {
                change.failure = dropped;
            }
            unsaved.clear();
            throw e;
        }
        unsaved.clear();
        savedVersion = version; // before desired: whoever reads the new snapshot awaits a sync that covers it
        desired = toSave;
        visibleVersion = version; // after it: a caller that returns on this reads its change in desired()
        startSync();
    }

    /**
     * Returns once every save so far survives a power loss (one flush of a durable slot, shared by all
     * the saves it covers); throws if that flush failed. Call before answering or publishing a change.
     * A waiter parks on its own and the syncer unparks each one directly, as {@link #update}'s do:
     * waiting on one monitor, 20 creates at once would take it back one after another after each
     * fsync, the chain of wake-ups the group commit removed from the save (docs/benchmarks.md,
     * "slot-bound spares").
     */
    void awaitDurable() {
        awaitDurable(savedVersion);
    }

    /**
     * Returns once the change of {@code target} ({@link #update}'s answer) survives a power loss: a
     * create publishes its route when its own record is durable, not only once a save that other
     * creates made after it is (among 20 at once, that was often one fsync more).
     */
    void awaitDurable(long target) {
        if (durableVersion >= target) {
            return;
        }
        long deadline = System.nanoTime() + DURABLE_DEADLINE.toNanos();
        Thread me = Thread.currentThread();
        durableWaiters.add(me);
        try {
            while (durableVersion < target) {
                synchronized (durability) {
                    if (durableVersion >= target) {
                        return;
                    }
                    if (syncFailure != null && syncFailedThrough >= target) {
                        throw new IllegalStateException("the desired state was written but could not be made durable: "
                                + syncFailure.getMessage(), syncFailure);
                    }
                }
                if (!syncing) {
                    startSync();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("the desired state was not made durable within " + DURABLE_DEADLINE);
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    me.interrupt();
                    throw new IllegalStateException("interrupted while waiting for the desired state to be durable");
                }
            }
        } finally {
            durableWaiters.remove(me);
        }
    }

    private void wakeDurableWaiters() {
        unparkAll(durableWaiters);
    }

    /** Starts the durable syncer unless it runs (it then goes on until it has caught up with the saves). */
    private void startSync() {
        synchronized (durability) {
            if (syncing) {
                return;
            }
            syncing = true;
        }
        Thread.ofVirtual().name("desired-state sync").start(this::syncUntilCaughtUp);
    }

    private void syncUntilCaughtUp() {
        while (true) {
            long target;
            synchronized (durability) {
                target = savedVersion;
                if (durableVersion >= target) {
                    syncing = false;
                    return;
                }
            }
            try {
                durableSync.run();
            } catch (RuntimeException e) {
                synchronized (durability) {
                    syncFailure = e;
                    syncFailedThrough = target;
                    syncing = false;
                }
                wakeDurableWaiters();
                return;
            }
            synchronized (durability) {
                durableVersion = target;
                syncFailure = null;
            }
            wakeDurableWaiters();
            copyFileWhenQuiet();
        }
    }

    /**
     * Copies the newest durable state to the file an operator reads once no save has become durable
     * for {@link #FILE_QUIET_MILLIS}, on a thread of its own: off every caller's path and out of every
     * flush round's way. A failure only costs the copy (the slots hold the state), so it is logged.
     */
    private void copyFileWhenQuiet() {
        if (!fileCopyPending.compareAndSet(false, true)) {
            return; // the pending copy sees this round too: it waits for quiet after the newest one
        }
        Thread.ofVirtual().name("desired-state file").start(() -> {
            long copied;
            try {
                long seen;
                do {
                    seen = durableVersion;
                    Thread.sleep(FILE_QUIET_MILLIS);
                } while (durableVersion != seen);
                copied = seen;
                store.refreshFile();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("could not copy the desired state to {} (the durable slots hold it; the next save tries again): {}",
                        store.file(), e.getMessage());
                return;
            } finally {
                fileCopyPending.set(false);
            }
            if (durableVersion != copied) {
                copyFileWhenQuiet(); // a round that came after the copy began, while this one was still pending
            }
        });
    }

    /**
     * Waits until every save so far is durable and in the state file: an agent that stops leaves the
     * file current for an operator to read or edit.
     */
    void settle() {
        awaitDurable();
        store.refreshFile();
    }

    /**
     * Runs a host-wide change that must see a desired state no create or delete changes meanwhile:
     * every change applied so far is saved first, so {@link #desired} is the newest state.
     */
    <T> T exclusive(Supplier<T> action) {
        saveLock.lock();
        try {
            stateLock.lock();
            try {
                if (appliedVersion > savedVersion) {
                    flush();
                }
                return action.get();
            } finally {
                stateLock.unlock();
            }
        } finally {
            saveLock.unlock();
            wakeSaveWaiters();
        }
    }

    /**
     * Reads the newest applied state (saved or about to be) under the state lock, where creates pick
     * their slots: a choice made here and one made by a create's change never see different states.
     */
    <T> T withLatest(Function<DesiredState, T> read) {
        stateLock.lock();
        try {
            return read.apply(latest);
        } finally {
            stateLock.unlock();
        }
    }

    /** Runs a write of one workspace; writes of other workspaces go on meanwhile. */
    <T> T forWorkspace(WorkspaceId id, Supplier<T> action) {
        if (stateLock.isHeldByCurrentThread() || saveLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("workspace lock of " + id + " asked for under the state lock (expected: workspace lock first)");
        }
        ReentrantLock lock = workspaceLocks.computeIfAbsent(id, any -> new ReentrantLock());
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    void observed(WorkspaceId id, ActualWorkspace actual) {
        observed.put(id, actual);
    }

    Optional<ActualWorkspace> observation(WorkspaceId id) {
        return Optional.ofNullable(observed.get(id));
    }

    void forget(WorkspaceId id) {
        observed.remove(id);
    }

    /** Drops observations of workspaces that are no longer recorded (deleted since they were made). */
    void forgetAllBut(Set<WorkspaceId> recorded) {
        observed.keySet().retainAll(recorded);
    }
}
