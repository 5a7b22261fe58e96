package dev.portcullis.gateway.console;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.Principals;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.route.WorkspaceRoute;

/**
 * The person a console request is for: the signed-in session's caller, whether they administer their
 * org, and the CSRF token every form of theirs carries.
 */
record Viewer(VerifiedIdentity identity, boolean admin, String csrf) {
    Viewer {
        requireNonNull(identity, "identity");
        requireNonNull(csrf, "csrf");
    }

    /** The person as records and explain name them: {@code subject@issuer-alias}. */
    String user() {
        return identity.qualifiedUser();
    }

    /** Whether this person owns {@code route}, by the same rule as the admin API. */
    boolean owns(WorkspaceRoute route) {
        return route.owner() != null && Principals.of(identity).isNamedBy(route.owner().ownerUserId(), route.owner().org());
    }

    String org() {
        return identity.org().orElse(null);
    }
}
