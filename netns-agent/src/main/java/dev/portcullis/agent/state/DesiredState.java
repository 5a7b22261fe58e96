package dev.portcullis.agent.state;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The workspaces this host should have, and the ones whose delete has begun (the delete-intent
 * journal: recorded before the kernel is touched, so a delete interrupted by a crash is finished on
 * restart instead of undone). A workspace being deleted keeps its address until it is gone.
 * Immutable: every change returns a new state.
 */
public final class DesiredState {

    public static final DesiredState EMPTY = new DesiredState(new TreeMap<>(), Set.of());

    private final SortedMap<WorkspaceId, WorkspaceRecord> workspaces;
    private final Set<WorkspaceId> deleting;

    private DesiredState(SortedMap<WorkspaceId, WorkspaceRecord> workspaces, Set<WorkspaceId> deleting) {
        this.workspaces = Collections.unmodifiableSortedMap(workspaces);
        this.deleting = Set.copyOf(deleting);
    }

    public static DesiredState of(Collection<WorkspaceRecord> records) {
        return of(records, Set.of());
    }

    /** @param deleting ids among {@code records} whose delete has begun */
    public static DesiredState of(Collection<WorkspaceRecord> records, Set<WorkspaceId> deleting) {
        TreeMap<WorkspaceId, WorkspaceRecord> map = new TreeMap<>();
        for (WorkspaceRecord record : records) {
            WorkspaceRecord previous = map.put(record.id(), record);
            if (previous != null) {
                throw new IllegalArgumentException("workspace " + record.id() + " appears twice (expected: unique ids)");
            }
        }
        checkUnique(map.values().stream().map(WorkspaceRecord::slot).toList(), "slot");
        checkUnique(map.values().stream().map(WorkspaceRecord::hostInterface).toList(), "hostInterface");
        for (WorkspaceId id : deleting) {
            if (!map.containsKey(id)) {
                throw new IllegalArgumentException("workspace " + id + " is marked as being deleted but has no record"
                        + " (expected: a delete intent for a recorded workspace)");
            }
        }
        return new DesiredState(map, deleting);
    }

    private static void checkUnique(Collection<?> values, String what) {
        Set<Object> seen = new HashSet<>();
        for (Object value : values) {
            if (!seen.add(value)) {
                throw new IllegalArgumentException(what + " " + value + " is used by two workspaces (expected: unique)");
            }
        }
    }

    public Optional<WorkspaceRecord> get(WorkspaceId id) {
        return Optional.ofNullable(workspaces.get(requireNonNull(id, "id")));
    }

    /** Every recorded workspace, including those being deleted (they still hold their slot and link name). */
    public Collection<WorkspaceRecord> workspaces() {
        return workspaces.values();
    }

    /** The workspaces that should exist: recorded and not being deleted. */
    public List<WorkspaceRecord> live() {
        return workspaces.values().stream().filter(ws -> !deleting.contains(ws.id())).toList();
    }

    public boolean isDeleting(WorkspaceId id) {
        return deleting.contains(id);
    }

    public Set<WorkspaceId> deleting() {
        return deleting;
    }

    /** Records the intent to delete; the record stays until the kernel is clean. */
    public DesiredState markDeleting(WorkspaceId id) {
        if (!workspaces.containsKey(requireNonNull(id, "id"))) {
            throw new IllegalArgumentException("workspace " + id + " does not exist (expected: a recorded workspace)");
        }
        Set<WorkspaceId> marked = new HashSet<>(deleting);
        marked.add(id);
        return new DesiredState(new TreeMap<>(workspaces), marked);
    }

    public Set<Integer> usedSlots() {
        return workspaces.values().stream().map(WorkspaceRecord::slot).collect(Collectors.toSet());
    }

    public Set<String> usedHostInterfaces() {
        return workspaces.values().stream().map(WorkspaceRecord::hostInterface).collect(Collectors.toSet());
    }

    public DesiredState with(WorkspaceRecord record) {
        TreeMap<WorkspaceId, WorkspaceRecord> copy = new TreeMap<>(workspaces);
        copy.put(record.id(), record);
        return of(copy.values(), deleting);
    }

    public DesiredState without(WorkspaceId id) {
        TreeMap<WorkspaceId, WorkspaceRecord> copy = new TreeMap<>(workspaces);
        copy.remove(id);
        Set<WorkspaceId> marked = new HashSet<>(deleting);
        marked.remove(id);
        return new DesiredState(copy, marked);
    }
}
