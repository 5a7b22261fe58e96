package dev.portcullis.gateway.console;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.auth.VerifiedIdentity;

/**
 * The person a console request is for: the signed-in session's caller, whether they administer their
 * org, and the CSRF token every form of theirs carries.
 */
record Viewer(VerifiedIdentity identity, boolean admin, String csrf) {
    Viewer {
        requireNonNull(identity, "identity");
        requireNonNull(csrf, "csrf");
    }

    String user() {
        return identity.user();
    }

    String org() {
        return identity.org().orElse(null);
    }
}
