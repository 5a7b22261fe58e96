package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

/** Rule names end up in reason codes and audit logs, so they are kept to a plain, greppable shape. */
public final class RuleNames {

    public static final int MAX_LENGTH = 63;

    private RuleNames() {}

    /** Why {@code name} is not a rule name, or {@code null} when it is one. */
    public static String problemWith(String name) {
        requireNonNull(name, "name");
        boolean ok = !name.isEmpty() && name.length() <= MAX_LENGTH
                     && name.charAt(0) != '-' && name.charAt(name.length() - 1) != '-';
        for (int i = 0; ok && i < name.length(); i++) {
            final char c = name.charAt(i);
            ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-';
        }
        return ok ? null : "rule name: \"" + name + "\" (expected: 1-" + MAX_LENGTH
                           + " characters of a-z, 0-9 and '-', not starting or ending with '-')";
    }

    static String check(String name) {
        final String problem = problemWith(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return name;
    }
}
