package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

/**
 * The name of a workspace as it appears in port URLs ({@code https://3000-ws42.ws.example.com}):
 * lowercase letters, digits and '-', not starting or ending with '-'.
 */
public final class WorkspaceId implements Comparable<WorkspaceId> {

    /**
     * 57, not 63: the id travels inside the DNS label {@code <port>-<id>}, and a label holds at most
     * 63 characters, of which "65535-" takes six.
     */
    public static final int MAX_LENGTH = 57;

    private final String value;

    private WorkspaceId(String value) {
        this.value = value;
    }

    /**
     * @throws IllegalArgumentException with the bad value and what was expected
     */
    public static WorkspaceId of(String value) {
        final String problem = problemWith(requireNonNull(value, "value"));
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return new WorkspaceId(value);
    }

    /** Why {@code value} is not a workspace id, or {@code null} when it is one. */
    public static String problemWith(String value) {
        requireNonNull(value, "value");
        final String expected = " (expected: 1-" + MAX_LENGTH
                + " characters of a-z, 0-9 and '-', not starting or ending with '-')";
        final String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            return "workspace id: \"" + shown + "\" has " + value.length() + " characters" + expected;
        }
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return "workspace id: \"" + shown + "\" has '" + c + "' at index " + i + expected;
            }
        }
        if (value.charAt(0) == '-' || value.charAt(value.length() - 1) == '-') {
            return "workspace id: \"" + shown + "\" starts or ends with '-'" + expected;
        }
        return null;
    }

    public String value() {
        return value;
    }

    @Override
    public int compareTo(WorkspaceId o) {
        return value.compareTo(o.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WorkspaceId other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }
}
