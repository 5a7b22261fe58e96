package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.PolicyError;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** The admin API's records in this gateway's own {@link AccessState}: no revisions, no other writers. */
public final class LocalAccessRecords implements AccessRecords {
    private final AccessState state;

    public LocalAccessRecords(AccessState state) {
        this.state = requireNonNull(state, "state");
    }

    @Override
    public AccessSnapshot current() {
        return state.current();
    }

    @Override
    public Optional<Revised<String>> policyText(String org) {
        return state.policyText(org).map(text -> new Revised<>(text, UNVERSIONED));
    }

    @Override
    public long putPolicy(String org, String source, String text, OptionalLong expected) {
        List<PolicyError> errors = state.putPolicy(org, source, text);
        if (!errors.isEmpty()) {
            throw new InvalidPolicy(errors);
        }
        return UNVERSIONED;
    }

    @Override
    public boolean deletePolicy(String org, OptionalLong expected) {
        return state.deletePolicy(org);
    }

    @Override
    public Map<Integer, Long> shareRevisions(String workspaceId) {
        return Map.of();
    }

    @Override
    public long putShare(WorkspaceId workspaceId, PortShare share, OptionalLong expected) {
        state.putShare(workspaceId, share);
        return UNVERSIONED;
    }

    @Override
    public boolean deleteShare(WorkspaceId workspaceId, int port, OptionalLong expected) {
        return state.deleteShare(workspaceId, port);
    }
}
