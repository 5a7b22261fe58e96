package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

/**
 * Which claims of an issuer's tokens carry the user, email, org and groups. Issuers differ:
 * one puts the login in {@code preferred_username}, another the org in {@code tid}.
 */
public record ClaimNames(String user, String email, String org, String groups) {

    public static final ClaimNames DEFAULTS = new ClaimNames("sub", "email", "org", "groups");

    public ClaimNames {
        requireName(user, "user");
        requireName(email, "email");
        requireName(org, "org");
        requireName(groups, "groups");
    }

    private static void requireName(String value, String field) {
        requireNonNull(value, field);
        if (value.isBlank()) {
            throw new IllegalArgumentException(field + " claim name: '" + value + "' (expected: a non-blank name)");
        }
    }
}
