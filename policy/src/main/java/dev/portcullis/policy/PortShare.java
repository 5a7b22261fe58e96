package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the workspace owner chose for one port: how widely it is shared, with whom by name, until
 * when, and which other web origins may send it cookie-authenticated unsafe requests and WebSocket
 * upgrades (by default only the port's own origin may; see docs/security.md). The org policy may
 * narrow the level further; see {@link PolicyEvaluator}.
 */
public final class PortShare {
    /** At most this many allowed origins per port: a list that long is a sign of a mistake. */
    public static final int MAX_ALLOWED_ORIGINS = 16;

    private final int port;
    private final ShareLevel level;
    private final Set<String> users;
    private final Set<String> groups;
    private final Instant expiresAt;
    private final long expiresAtMillis;
    private final Set<String> allowedOrigins;

    /**
     * @param users user ids admitted by name; only meaningful from {@link ShareLevel#USERS} up
     * @param groups groups admitted by name; only meaningful from {@link ShareLevel#USERS} up
     * @param expiresAt when the share stops admitting anyone but the owner, or {@code null} for never
     */
    public PortShare(int port, ShareLevel level, Set<String> users, Set<String> groups, Instant expiresAt) {
        this(port, level, users, groups, expiresAt, Set.of());
    }

    /**
     * @param allowedOrigins web origins besides the port's own ({@code https://8080-ws42.ws.example.com})
     *                       whose pages may send the port cookie-authenticated unsafe requests and
     *                       WebSocket upgrades; each is checked and normalized by {@link WebOrigin#parse}
     */
    public PortShare(int port, ShareLevel level, Set<String> users, Set<String> groups, Instant expiresAt,
                     Set<String> allowedOrigins) {
        this.port = PortRange.checkPort(port);
        this.level = requireNonNull(level, "level");
        this.users = Set.copyOf(requireNonNull(users, "users"));
        this.groups = Set.copyOf(requireNonNull(groups, "groups"));
        this.expiresAt = expiresAt;
        this.expiresAtMillis = expiresAt == null ? Long.MAX_VALUE : expiresAt.toEpochMilli();
        requireNonNull(allowedOrigins, "allowedOrigins");
        if (allowedOrigins.size() > MAX_ALLOWED_ORIGINS) {
            throw new IllegalArgumentException("share of port " + port + ": " + allowedOrigins.size()
                    + " allowed origins (expected: at most " + MAX_ALLOWED_ORIGINS + ")");
        }
        Set<String> origins = new LinkedHashSet<>();
        for (String origin : allowedOrigins) {
            try {
                origins.add(WebOrigin.parse(requireNonNull(origin, "allowed origin")).serialized());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("share of port " + port + ": allowed " + e.getMessage(), e);
            }
        }
        this.allowedOrigins = Set.copyOf(origins);
        if (level == ShareLevel.USERS && this.users.isEmpty() && this.groups.isEmpty()) {
            throw new IllegalArgumentException(
                    "share of port " + port + ": level users names nobody (expected: at least one user or group)");
        }
        if (level == ShareLevel.OWNER && !(this.users.isEmpty() && this.groups.isEmpty())) {
            throw new IllegalArgumentException("share of port " + port
                    + ": level owner names users or groups (expected: level users or wider to admit them)");
        }
    }

    public static PortShare of(int port, ShareLevel level) {
        return new PortShare(port, level, Set.of(), Set.of(), null);
    }

    public int port() {
        return port;
    }

    public ShareLevel level() {
        return level;
    }

    public Set<String> users() {
        return users;
    }

    public Set<String> groups() {
        return groups;
    }

    /** When the share ends, or {@code null} when it does not. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** Further origins allowed to send cookie-authenticated unsafe requests, serialized as browsers send them. */
    public Set<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** Whether a page of {@code origin} may send this port cookie-authenticated unsafe requests and upgrades. */
    public boolean allowsOrigin(WebOrigin origin) {
        return !allowedOrigins.isEmpty() && allowedOrigins.contains(origin.serialized());
    }

    boolean isExpiredAt(long nowMillis) {
        return nowMillis >= expiresAtMillis;
    }

    /**
     * Whether {@code principal} is admitted by name in a workspace of {@code org}: listed as a user
     * ({@link Principal#isNamedBy}) or a member of a listed group, when its issuer speaks for the org.
     */
    boolean namesPrincipal(Principal principal, String org) {
        if (!principal.isAuthenticated()) {
            return false;
        }
        for (String user : users) {
            if (principal.isNamedBy(user, org)) {
                return true;
            }
        }
        if (!principal.speaksFor(org)) {
            return false;
        }
        for (String group : groups) {
            if (principal.groups().contains(group)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "PortShare{port=" + port + ", level=" + level.configName() + ", users=" + users
               + ", groups=" + groups + ", expiresAt=" + expiresAt
               + (allowedOrigins.isEmpty() ? "" : ", allowedOrigins=" + allowedOrigins) + '}';
    }
}
