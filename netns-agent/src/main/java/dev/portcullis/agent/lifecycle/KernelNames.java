package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.policy.WorkspaceId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names of the kernel objects of a workspace. Interface names are capped at 15 characters by the
 * kernel. A workspace's host end is named after its address slot, {@code <interfacePrefix>-<slot>}:
 * a spare namespace bound to a slot ahead of demand ({@link SpareNamespaces}) then carries its final
 * link name from the start, and a create never renames a link (a rename holds the kernel's rtnl lock
 * across an RCU grace period). Records saved before that have prefix + 10 hex digits of a hash of the
 * id; those names are still recognised as the agent's own.
 */
public final class KernelNames {

    public static final String WORKSPACE_DEVICE = "eth0";
    private static final int HASH_HEX = 10;
    private static final String PROBE_MARK = "_probe_";
    private static final String SPARE_MARK = "_spare_";
    private static final int HOST_INTERFACE_CANDIDATES = 4;

    private final String namespacePrefix;
    private final String interfacePrefix;
    private final Pattern ownInterface;

    public KernelNames(AgentConfig config) {
        requireNonNull(config, "config");
        this.namespacePrefix = config.namespacePrefix();
        this.interfacePrefix = config.interfacePrefix();
        this.ownInterface = AgentConfig.ownInterfaceNames(interfacePrefix);
    }

    /**
     * A throwaway namespace for probing the kernel (tc qdiscs at start). The '_' is not allowed in a
     * workspace id, so no workspace's namespace can ever have this name.
     */
    public String probeNamespace() {
        return namespacePrefix + PROBE_MARK + ProcessHandle.current().pid();
    }

    /** A probe namespace of this agent's prefix left by an agent process that no longer runs (killed mid-probe). */
    public boolean isStaleProbe(String namespace) {
        if (!namespace.startsWith(namespacePrefix + PROBE_MARK)) {
            return false;
        }
        String pid = namespace.substring(namespacePrefix.length() + PROBE_MARK.length());
        return pid.matches("[0-9]{1,10}") && ProcessHandle.of(Long.parseLong(pid)).isEmpty();
    }

    /**
     * The {@code number}th namespace made ahead of demand ({@link SpareNamespaces}); like the probe's,
     * the '_' keeps every workspace from having the name.
     */
    public String spareNamespace(long number) {
        return namespacePrefix + SPARE_MARK + number;
    }

    /** A name {@link #spareNamespace} gives, of this agent's prefix (left by this agent or one before it). */
    public boolean isSpare(String namespace) {
        return namespace.startsWith(namespacePrefix + SPARE_MARK)
                && namespace.substring(namespacePrefix.length() + SPARE_MARK.length()).matches("[0-9]{1,19}");
    }

    public String namespace(WorkspaceId id) {
        return namespacePrefix + id.value();
    }

    /** The workspace of a namespace name with our prefix, if the rest is a valid id. */
    public Optional<WorkspaceId> workspaceOfNamespace(String namespace) {
        if (!namespace.startsWith(namespacePrefix)) {
            return Optional.empty();
        }
        try {
            return Optional.of(WorkspaceId.of(namespace.substring(namespacePrefix.length())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** True for names this agent could have made; reconcile deletes nothing else. */
    public boolean isOwnInterface(String name) {
        return ownInterface.matcher(name).matches();
    }

    /**
     * The host end of the workspace at address slot {@code slot}: what every create since slot-bound
     * spares gives; {@link AgentConfig} refuses a range whose last slot's name would not fit 15 characters.
     */
    public String slotInterface(int slot) {
        if (slot < 0) {
            throw new IllegalArgumentException("slot " + slot + " (expected: >= 0)");
        }
        return interfacePrefix + "-" + slot;
    }

    /**
     * The host link names a workspace may have, in order: its slot's, then the hash names records
     * made before slot names carry (the hash of its id, then of "id#1", ...). A record naming anything
     * else (the host's uplink, another agent's link, another slot's link) is corruption.
     */
    public List<String> hostInterfaceCandidates(WorkspaceId id, int slot) {
        List<String> candidates = new ArrayList<>();
        candidates.add(slotInterface(slot));
        for (int attempt = 0; attempt < HOST_INTERFACE_CANDIDATES; attempt++) {
            candidates.add(interfacePrefix + hash(attempt == 0 ? id.value() : id.value() + "#" + attempt));
        }
        return candidates;
    }

    /**
     * True when {@code name} is one of {@link #hostInterfaceCandidates}: the slot's name is compared
     * first, so a record made with slot names costs no hash (every create checks its record's name).
     */
    public boolean isHostInterfaceOf(WorkspaceId id, int slot, String name) {
        return name.equals(slotInterface(slot)) || hostInterfaceCandidates(id, slot).contains(name);
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest).substring(0, HASH_HEX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
