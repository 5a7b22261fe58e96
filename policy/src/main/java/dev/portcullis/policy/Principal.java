package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who is asking: the identity the gateway verified, or {@link #anonymous()} when the request
 * carried no credential. A principal is (issuer, subject): records name users either qualified,
 * {@code alice@corp} (subject {@code alice} of the issuer whose alias is {@code corp}), or bare,
 * {@code alice}, which means the subject of the org's home issuer ({@link IssuerScope#isHomeOf}).
 * Immutable; build one with {@link #builder(String)}.
 */
public final class Principal {

    private static final Principal ANONYMOUS = new Principal(null, null, IssuerScope.ANY, null, null, Set.of(), Map.of());

    private final String userId;
    private final String issuer;
    private final IssuerScope scope;
    private final String email;
    private final String emailDomain;
    private final String org;
    private final Set<String> groups;
    private final Map<String, Set<String>> claims;

    private Principal(String userId, String issuer, IssuerScope scope, String email, String org, Set<String> groups,
                      Map<String, Set<String>> claims) {
        this.userId = userId;
        this.issuer = issuer;
        this.scope = scope;
        this.email = email;
        // Lowercased once here so that rule matching on every request does not allocate.
        this.emailDomain = email == null || email.indexOf('@') < 0
                ? null : email.substring(email.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        this.org = org;
        this.groups = groups;
        this.claims = claims;
    }

    /** The caller without any credential. Matches only {@code public} shares. */
    public static Principal anonymous() {
        return ANONYMOUS;
    }

    public static Builder builder(String userId) {
        return new Builder(userId);
    }

    public boolean isAuthenticated() {
        return userId != null;
    }

    /** The user id (the subject, without issuer), or {@code null} for {@link #anonymous()}. */
    public String userId() {
        return userId;
    }

    /** The alias of the token's issuer, or {@code null} when the principal was built without one. */
    public String issuer() {
        return issuer;
    }

    /** {@code alice@corp}: the subject qualified with the issuer alias; the bare subject without one. */
    public String qualifiedId() {
        return issuer == null || userId == null ? userId : userId + '@' + issuer;
    }

    /**
     * Whether {@code name}, a user as a record of {@code org} names one, is this principal: a
     * qualified {@code subject@alias} must match both parts (the subject is what comes before the
     * last '@'); a bare name must match the subject, and this principal's issuer must be the org's
     * home issuer. A principal built without issuer is matched on the subject alone.
     */
    public boolean isNamedBy(String name, String org) {
        if (userId == null || name == null) {
            return false;
        }
        final int at = name.lastIndexOf('@');
        if (at < 0) {
            return name.equals(userId) && scope.isHomeOf(org);
        }
        return issuer != null && at == userId.length() && name.startsWith(userId)
               && name.length() - at - 1 == issuer.length() && name.endsWith(issuer);
    }

    /** Whether this principal's groups, claims and email domain count for {@code org}'s rules and shares. */
    public boolean speaksFor(String org) {
        return scope.speaksFor(org);
    }

    /** The email address, or {@code null} when unknown. */
    public String email() {
        return email;
    }

    /** The lowercased part of {@link #email()} after the last '@', or {@code null}. */
    public String emailDomain() {
        return emailDomain;
    }

    /** The organization the principal belongs to, or {@code null} when none. */
    public String org() {
        return org;
    }

    public Set<String> groups() {
        return groups;
    }

    /** Other claims of the identity token; a claim may have several values. */
    public Map<String, Set<String>> claims() {
        return claims;
    }

    @Override
    public String toString() {
        if (!isAuthenticated()) {
            return "Principal{anonymous}";
        }
        return "Principal{userId=" + qualifiedId() + ", email=" + email + ", org=" + org
               + ", groups=" + groups + ", claims=" + claims + '}';
    }

    public static final class Builder {
        private final String userId;
        private String issuer;
        private IssuerScope scope = IssuerScope.ANY;
        private String email;
        private String org;
        private final Set<String> groups = new LinkedHashSet<>();
        private final Map<String, Set<String>> claims = new LinkedHashMap<>();

        private Builder(String userId) {
            requireNonNull(userId, "userId");
            if (userId.isEmpty()) {
                throw new IllegalArgumentException("userId: \"\" (expected: a non-empty user id)");
            }
            this.userId = userId;
        }

        /**
         * The alias of the token's issuer (no '@') and what it may speak for. Without it the
         * principal is matched on its subject alone, as if the gateway trusted one issuer.
         */
        public Builder issuer(String alias, IssuerScope scope) {
            requireNonNull(alias, "alias");
            if (alias.isEmpty() || alias.indexOf('@') >= 0) {
                throw new IllegalArgumentException("issuer alias: \"" + alias + "\" (expected: non-empty, without '@')");
            }
            this.issuer = alias;
            this.scope = requireNonNull(scope, "scope");
            return this;
        }

        public Builder email(String email) {
            requireNonNull(email, "email");
            if (email.indexOf('@') <= 0 || email.endsWith("@")) {
                throw new IllegalArgumentException("email: \"" + email + "\" (expected: local@domain)");
            }
            this.email = email;
            return this;
        }

        public Builder org(String org) {
            this.org = requireNonNull(org, "org");
            return this;
        }

        public Builder groups(Iterable<String> groups) {
            for (String group : requireNonNull(groups, "groups")) {
                this.groups.add(requireNonNull(group, "group"));
            }
            return this;
        }

        public Builder groups(String... groups) {
            return groups(java.util.List.of(groups));
        }

        /** Adds {@code value} to the values of claim {@code name}. */
        public Builder claim(String name, String value) {
            requireNonNull(name, "name");
            requireNonNull(value, "value");
            claims.computeIfAbsent(name, unused -> new LinkedHashSet<>()).add(value);
            return this;
        }

        public Principal build() {
            final Map<String, Set<String>> frozenClaims = new LinkedHashMap<>();
            claims.forEach((name, values) -> frozenClaims.put(name, Set.copyOf(values)));
            return new Principal(userId, issuer, scope, email, org, Set.copyOf(groups), Map.copyOf(frozenClaims));
        }
    }
}
