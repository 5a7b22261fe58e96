package dev.portcullis.gateway.route;

/** The one definition of a valid workspace id: lowercase letters, digits and '-', 1 to 57 characters. */
public final class WorkspaceIds {
    /** A DNS label holds 63 characters, and {@code <port>-<id>} must fit one: 63 - len("65535-") = 57. */
    public static final int MAX_LENGTH = 57;

    private WorkspaceIds() {}

    /** Whether {@code id} is a workspace id; its ends must not be '-' so it is also a DNS label. */
    public static boolean isValid(CharSequence id) {
        int length = id.length();
        if (length == 0 || length > MAX_LENGTH || id.charAt(0) == '-' || id.charAt(length - 1) == '-') {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Returns {@code id} or throws with a message that shows the bad value and the rule. */
    public static String requireValid(String id) {
        if (id == null || !isValid(id)) {
            throw new IllegalArgumentException("workspace id: " + (id == null ? "missing" : "'" + id + "'")
                    + " (expected: 1-" + MAX_LENGTH + " of a-z, 0-9 and '-', not starting or ending with '-')");
        }
        return id;
    }
}
