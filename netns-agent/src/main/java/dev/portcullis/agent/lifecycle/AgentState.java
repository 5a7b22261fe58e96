package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.state.DesiredStateStore;
import dev.portcullis.policy.WorkspaceId;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The agent's memory and its locks. Reads take no lock at all: the desired state is an immutable
 * snapshot behind a volatile field, and what the kernel was last seen to have sits in a concurrent
 * map. Writes take, in this order only:
 * <ol>
 *   <li>the workspace's own lock, for the whole create, delete or repair of that workspace (writes to
 *       different workspaces run side by side);</li>
 *   <li>the state lock, held briefly: to pick a slot and save the file, and around the few host-wide
 *       changes that must see a desired state nobody changes meanwhile (reloading the table, removing
 *       orphans).</li>
 * </ol>
 * Nothing holds the state lock while it waits for a workspace lock, so there is no cycle.
 */
final class AgentState {

    private final DesiredStateStore store;
    private final ReentrantLock stateLock = new ReentrantLock();
    private final ConcurrentHashMap<WorkspaceId, ReentrantLock> workspaceLocks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<WorkspaceId, ActualWorkspace> observed = new ConcurrentHashMap<>();
    private volatile DesiredState desired;

    AgentState(DesiredStateStore store, DesiredState loaded) {
        this.store = requireNonNull(store, "store");
        this.desired = requireNonNull(loaded, "loaded");
    }

    /** The current snapshot; never blocks. */
    DesiredState desired() {
        return desired;
    }

    /**
     * Applies a change and saves it before anyone sees it (write-ahead); a change that throws saves
     * nothing. Returns the new state.
     */
    DesiredState update(UnaryOperator<DesiredState> change) {
        stateLock.lock();
        try {
            DesiredState next = change.apply(desired);
            store.save(next);
            desired = next;
            return next;
        } finally {
            stateLock.unlock();
        }
    }

    /** Runs a host-wide change that must see a desired state no create or delete changes meanwhile. */
    <T> T exclusive(Supplier<T> action) {
        stateLock.lock();
        try {
            return action.get();
        } finally {
            stateLock.unlock();
        }
    }

    /** Runs a write of one workspace; writes of other workspaces go on meanwhile. */
    <T> T forWorkspace(WorkspaceId id, Supplier<T> action) {
        if (stateLock.isHeldByCurrentThread()) {
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
