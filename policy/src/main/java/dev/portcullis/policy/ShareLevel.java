package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How widely a workspace port is shared, from narrowest to widest. The declaration order is the
 * order of width: {@link #narrowest(ShareLevel, ShareLevel)} relies on it.
 */
public enum ShareLevel {
    /** Only the workspace owner. */
    OWNER("owner", "owner"),
    /** The owner plus the users and groups named in the share. */
    USERS("users", "users"),
    /** Every authenticated member of the workspace's organization. */
    ORGANIZATION("organization", "org"),
    /** Every authenticated principal, whatever its organization. */
    AUTHENTICATED("authenticated", "authenticated"),
    /** Anyone, without authentication. */
    PUBLIC("public", "public");

    private static final String EXPECTED =
            Arrays.stream(values()).map(ShareLevel::configName).collect(Collectors.joining(", "));

    private final String configName;
    private final String code;

    ShareLevel(String configName, String code) {
        this.configName = configName;
        this.code = code;
    }

    /** The name written in policy and share files, e.g. {@code organization}. */
    public String configName() {
        return configName;
    }

    /** The short name used inside reason codes, e.g. {@code org} in {@code share-org}. */
    public String code() {
        return code;
    }

    public boolean isWiderThan(ShareLevel other) {
        return compareTo(other) > 0;
    }

    public static ShareLevel narrowest(ShareLevel a, ShareLevel b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * The level written as {@code name} in a file.
     *
     * @throws IllegalArgumentException naming the bad value and every accepted one
     */
    public static ShareLevel ofConfigName(String name) {
        requireNonNull(name, "name");
        for (ShareLevel level : values()) {
            if (level.configName.equals(name)) {
                return level;
            }
        }
        throw new IllegalArgumentException("level: " + name + " (expected one of: " + EXPECTED + ')');
    }

    /** Every accepted name, for error messages. */
    public static String expectedNames() {
        return EXPECTED;
    }
}
