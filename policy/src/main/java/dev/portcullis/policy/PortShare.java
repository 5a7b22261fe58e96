package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Set;

/**
 * What the workspace owner chose for one port: how widely it is shared, with whom by name, and
 * until when. The org policy may narrow it further; see {@link PolicyEvaluator}.
 */
public final class PortShare {

    private final int port;
    private final ShareLevel level;
    private final Set<String> users;
    private final Set<String> groups;
    private final Instant expiresAt;
    private final long expiresAtMillis;

    /**
     * @param users user ids admitted by name; only meaningful from {@link ShareLevel#USERS} up
     * @param groups groups admitted by name; only meaningful from {@link ShareLevel#USERS} up
     * @param expiresAt when the share stops admitting anyone but the owner, or {@code null} for never
     */
    public PortShare(int port, ShareLevel level, Set<String> users, Set<String> groups, Instant expiresAt) {
        this.port = PortRange.checkPort(port);
        this.level = requireNonNull(level, "level");
        this.users = Set.copyOf(requireNonNull(users, "users"));
        this.groups = Set.copyOf(requireNonNull(groups, "groups"));
        this.expiresAt = expiresAt;
        this.expiresAtMillis = expiresAt == null ? Long.MAX_VALUE : expiresAt.toEpochMilli();
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
               + ", groups=" + groups + ", expiresAt=" + expiresAt + '}';
    }
}
