package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The workspace a request is for, as the gateway's route snapshot knows it: who owns it, which
 * organization it belongs to, its labels and the shares its owner set. Immutable.
 */
public final class Workspace {

    private final WorkspaceId id;
    private final String ownerUserId;
    private final String org;
    private final Map<String, String> labels;
    private final PortShares shares;

    private Workspace(Builder builder) {
        id = builder.id;
        ownerUserId = builder.ownerUserId;
        org = builder.org;
        labels = Map.copyOf(builder.labels);
        shares = builder.shares;
    }

    public static Builder builder(WorkspaceId id, String ownerUserId) {
        return new Builder(id, ownerUserId);
    }

    public WorkspaceId id() {
        return id;
    }

    public String ownerUserId() {
        return ownerUserId;
    }

    /** The organization the workspace belongs to, or {@code null} when it belongs to none. */
    public String org() {
        return org;
    }

    public Map<String, String> labels() {
        return labels;
    }

    public PortShares shares() {
        return shares;
    }

    @Override
    public String toString() {
        return "Workspace{id=" + id + ", owner=" + ownerUserId + ", org=" + org + ", labels=" + labels
               + ", shares=" + shares + '}';
    }

    public static final class Builder {
        private final WorkspaceId id;
        private final String ownerUserId;
        private String org;
        private final Map<String, String> labels = new LinkedHashMap<>();
        private PortShares shares = PortShares.none();

        private Builder(WorkspaceId id, String ownerUserId) {
            this.id = requireNonNull(id, "id");
            requireNonNull(ownerUserId, "ownerUserId");
            if (ownerUserId.isEmpty()) {
                throw new IllegalArgumentException("ownerUserId: \"\" (expected: a non-empty user id)");
            }
            this.ownerUserId = ownerUserId;
        }

        public Builder org(String org) {
            this.org = requireNonNull(org, "org");
            return this;
        }

        public Builder label(String name, String value) {
            labels.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
            return this;
        }

        public Builder labels(Map<String, String> labels) {
            requireNonNull(labels, "labels").forEach(this::label);
            return this;
        }

        public Builder shares(PortShares shares) {
            this.shares = requireNonNull(shares, "shares");
            return this;
        }

        public Workspace build() {
            return new Workspace(this);
        }
    }
}
