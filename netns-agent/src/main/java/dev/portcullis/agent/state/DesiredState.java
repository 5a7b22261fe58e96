package dev.portcullis.agent.state;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** The workspaces this host should have. Immutable: every change returns a new state. */
public final class DesiredState {

    public static final DesiredState EMPTY = new DesiredState(new TreeMap<>());

    private final SortedMap<WorkspaceId, WorkspaceRecord> workspaces;

    private DesiredState(SortedMap<WorkspaceId, WorkspaceRecord> workspaces) {
        this.workspaces = Collections.unmodifiableSortedMap(workspaces);
    }

    public static DesiredState of(Collection<WorkspaceRecord> records) {
        TreeMap<WorkspaceId, WorkspaceRecord> map = new TreeMap<>();
        for (WorkspaceRecord record : records) {
            WorkspaceRecord previous = map.put(record.id(), record);
            if (previous != null) {
                throw new IllegalArgumentException("workspace " + record.id() + " appears twice (expected: unique ids)");
            }
        }
        checkUnique(map.values().stream().map(WorkspaceRecord::slot).toList(), "slot");
        checkUnique(map.values().stream().map(WorkspaceRecord::hostInterface).toList(), "hostInterface");
        return new DesiredState(map);
    }

    private static void checkUnique(Collection<?> values, String what) {
        Set<Object> seen = new java.util.HashSet<>();
        for (Object value : values) {
            if (!seen.add(value)) {
                throw new IllegalArgumentException(what + " " + value + " is used by two workspaces (expected: unique)");
            }
        }
    }

    public Optional<WorkspaceRecord> get(WorkspaceId id) {
        return Optional.ofNullable(workspaces.get(requireNonNull(id, "id")));
    }

    public Collection<WorkspaceRecord> workspaces() {
        return workspaces.values();
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
        return of(copy.values());
    }

    public DesiredState without(WorkspaceId id) {
        TreeMap<WorkspaceId, WorkspaceRecord> copy = new TreeMap<>(workspaces);
        copy.remove(id);
        return new DesiredState(copy);
    }
}
