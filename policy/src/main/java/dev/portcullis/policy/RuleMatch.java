package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The conditions of an {@link AccessRule}. Every condition that is set must hold; within one
 * condition any listed value is enough. Principal conditions never match an anonymous caller.
 * Everything is kept in arrays so that matching on every request allocates nothing.
 */
public final class RuleMatch {

    private final String[] users;
    private final String[] emailDomains;
    private final String[] groups;
    private final String[] claimNames;
    private final Set<String>[] claimValues;
    private final String[] labelNames;
    private final Set<String>[] labelValues;
    private final PortRange[] ports;
    private final String[] methods;
    private final String[] pathPrefixes;

    private RuleMatch(Builder b) {
        users = b.users.toArray(new String[0]);
        emailDomains = b.emailDomains.toArray(new String[0]);
        groups = b.groups.toArray(new String[0]);
        claimNames = b.claims.keySet().toArray(new String[0]);
        claimValues = valuesOf(b.claims);
        labelNames = b.labels.keySet().toArray(new String[0]);
        labelValues = valuesOf(b.labels);
        ports = b.ports.toArray(new PortRange[0]);
        methods = b.methods.toArray(new String[0]);
        pathPrefixes = b.pathPrefixes.toArray(new String[0]);
        if (isEmpty()) {
            throw new IllegalArgumentException("match: {} (expected: at least one condition)");
        }
    }

    @SuppressWarnings("unchecked")
    private static Set<String>[] valuesOf(Map<String, Set<String>> map) {
        return map.values().stream().map(Set::copyOf).toArray(Set[]::new);
    }

    public static Builder builder() {
        return new Builder();
    }

    private boolean isEmpty() {
        return users.length + emailDomains.length + groups.length + claimNames.length
               + labelNames.length + ports.length + methods.length + pathPrefixes.length == 0;
    }

    /** Whether an allow rule with these conditions admits the request; paths match exactly. */
    public boolean matches(Principal principal, Workspace workspace, int port, String method, String path) {
        return matchesPrincipal(principal, workspace.org()) && matchesLabels(workspace.labels())
               && matchesPort(port) && matchesMethod(method) && matchesPath(path, false);
    }

    /**
     * Whether a deny rule with these conditions covers the request; paths match as
     * {@link PathPrefixes#covers} says (any case, {@code .suffix} too), so a deny fails closed.
     */
    public boolean covers(Principal principal, Workspace workspace, int port, String method, String path) {
        return matchesPrincipal(principal, workspace.org()) && matchesLabels(workspace.labels())
               && matchesPort(port) && matchesMethod(method) && matchesPath(path, true);
    }

    /** Whether this rule has path prefixes and may apply to {@code port}. */
    boolean hasPathPrefixesFor(int port) {
        return pathPrefixes.length > 0 && matchesPort(port);
    }

    private boolean matchesPrincipal(Principal principal, String org) {
        if (users.length + emailDomains.length + groups.length + claimNames.length == 0) {
            return true;
        }
        if (!principal.isAuthenticated()) {
            return false;
        }
        if (users.length > 0 && !namesAny(users, principal, org)) {
            return false;
        }
        // Groups, claims and email domains are the issuer's word: they count only from an issuer
        // bound to the workspace's org, so another IdP's "sre" group is not this org's "sre".
        if (emailDomains.length + groups.length + claimNames.length > 0 && !principal.speaksFor(org)) {
            return false;
        }
        if (emailDomains.length > 0 && !contains(emailDomains, principal.emailDomain())) {
            return false;
        }
        if (groups.length > 0 && !anyIn(groups, principal.groups())) {
            return false;
        }
        for (int i = 0; i < claimNames.length; i++) {
            final Set<String> actual = principal.claims().get(claimNames[i]);
            if (actual == null || !anyIn(claimValues[i], actual)) {
                return false;
            }
        }
        return true;
    }

    private boolean matchesLabels(Map<String, String> labels) {
        for (int i = 0; i < labelNames.length; i++) {
            final String actual = labels.get(labelNames[i]);
            if (actual == null || !labelValues[i].contains(actual)) {
                return false;
            }
        }
        return true;
    }

    private boolean matchesPort(int port) {
        if (ports.length == 0) {
            return true;
        }
        for (PortRange range : ports) {
            if (range.contains(port)) {
                return true;
            }
        }
        return false;
    }

    private boolean matchesMethod(String method) {
        return methods.length == 0 || contains(methods, method);
    }

    private boolean matchesPath(String path, boolean covering) {
        if (pathPrefixes.length == 0) {
            return true;
        }
        for (String prefix : pathPrefixes) {
            if (covering ? PathPrefixes.covers(prefix, path) : PathPrefixes.matches(prefix, path)) {
                return true;
            }
        }
        return false;
    }

    private static boolean namesAny(String[] users, Principal principal, String org) {
        for (String user : users) {
            if (principal.isNamedBy(user, org)) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(String[] values, String value) {
        if (value == null) {
            return false;
        }
        for (String v : values) {
            if (v.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyIn(String[] wanted, Set<String> actual) {
        for (String w : wanted) {
            if (actual.contains(w)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyIn(Set<String> wanted, Set<String> actual) {
        // Iterate the smaller side: claims such as "amr" carry a few values, rules list a few.
        final Set<String> small = wanted.size() <= actual.size() ? wanted : actual;
        final Set<String> large = small == wanted ? actual : wanted;
        for (String value : small) {
            if (large.contains(value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        final List<String> parts = new ArrayList<>();
        add(parts, "users", users);
        add(parts, "emailDomains", emailDomains);
        add(parts, "groups", groups);
        for (int i = 0; i < claimNames.length; i++) {
            parts.add("claims." + claimNames[i] + '=' + claimValues[i]);
        }
        for (int i = 0; i < labelNames.length; i++) {
            parts.add("workspaceLabels." + labelNames[i] + '=' + labelValues[i]);
        }
        if (ports.length > 0) {
            parts.add("ports=" + List.of(ports));
        }
        add(parts, "methods", methods);
        add(parts, "pathPrefixes", pathPrefixes);
        return "RuleMatch" + parts;
    }

    private static void add(List<String> parts, String name, String[] values) {
        if (values.length > 0) {
            parts.add(name + '=' + List.of(values));
        }
    }

    public static final class Builder {
        private final Set<String> users = new LinkedHashSet<>();
        private final Set<String> emailDomains = new LinkedHashSet<>();
        private final Set<String> groups = new LinkedHashSet<>();
        private final Map<String, Set<String>> claims = new LinkedHashMap<>();
        private final Map<String, Set<String>> labels = new LinkedHashMap<>();
        private final List<PortRange> ports = new ArrayList<>();
        private final Set<String> methods = new LinkedHashSet<>();
        private final Set<String> pathPrefixes = new LinkedHashSet<>();

        private Builder() {}

        public Builder users(String... users) {
            for (String user : users) {
                this.users.add(requireNonNull(user, "user"));
            }
            return this;
        }

        /** Matched against the part of the principal's email after '@', ignoring case. */
        public Builder emailDomains(String... domains) {
            for (String domain : domains) {
                emailDomains.add(requireNonNull(domain, "domain").toLowerCase(Locale.ROOT));
            }
            return this;
        }

        public Builder groups(String... groups) {
            for (String group : groups) {
                this.groups.add(requireNonNull(group, "group"));
            }
            return this;
        }

        /** The principal must have claim {@code name} with at least one of {@code values}. */
        public Builder claim(String name, String... values) {
            addValues(claims, name, values);
            return this;
        }

        /** The workspace must have label {@code name} set to one of {@code values}. */
        public Builder workspaceLabel(String name, String... values) {
            addValues(labels, name, values);
            return this;
        }

        public Builder ports(PortRange... ports) {
            for (PortRange range : ports) {
                this.ports.add(requireNonNull(range, "port range"));
            }
            return this;
        }

        /** HTTP methods, compared exactly: the gateway hands over the method as the client sent it. */
        public Builder methods(String... methods) {
            for (String method : methods) {
                this.methods.add(requireNonNull(method, "method"));
            }
            return this;
        }

        /**
         * Prefixes in normal form ({@link RequestPaths}); see {@link PathPrefixes} for how allow and
         * deny rules match them.
         */
        public Builder pathPrefixes(String... prefixes) {
            for (String prefix : prefixes) {
                final String problem = PathPrefixes.problemWith(requireNonNull(prefix, "prefix"));
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
                pathPrefixes.add(prefix);
            }
            return this;
        }

        private static void addValues(Map<String, Set<String>> map, String name, String... values) {
            requireNonNull(name, "name");
            if (values.length == 0) {
                throw new IllegalArgumentException(name + ": [] (expected: at least one value)");
            }
            final Set<String> set = map.computeIfAbsent(name, unused -> new LinkedHashSet<>());
            for (String value : values) {
                set.add(requireNonNull(value, "value"));
            }
        }

        /**
         * @throws IllegalArgumentException when no condition is set: a rule matching everything is
         *         almost always a mistake, and for an allow rule a dangerous one
         */
        public RuleMatch build() {
            return new RuleMatch(this);
        }
    }
}
