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
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Names of the kernel objects of a workspace. Interface names are capped at 15 characters by the
 * kernel, so the host end is prefix + 10 hex digits of a hash of the id; the name is persisted, so
 * the rare collision is settled once by rehashing and never changes afterwards.
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
        this.ownInterface = Pattern.compile(Pattern.quote(interfacePrefix) + "[0-9a-f]{" + HASH_HEX + "}");
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

    /**
     * {@link #spareHostLink} of the spare namespace {@code spare} (one {@link #isSpare} accepts); empty
     * when its number is too large for a link name (no spare of an agent has such a number).
     */
    public java.util.Optional<String> spareHostLinkOf(String spare) {
        if (!isSpare(spare)) {
            throw new IllegalArgumentException("not a spare namespace of this agent: " + spare);
        }
        String name = interfacePrefix + "_" + Long.toString(
                Long.parseLong(spare.substring(namespacePrefix.length() + SPARE_MARK.length())), 36);
        return name.length() <= 15 ? java.util.Optional.of(name) : java.util.Optional.empty();
    }

    /**
     * The host end of the veth pair a spare namespace carries: {@code <interfacePrefix>_} and the
     * spare's number in base 36 (at most 15 characters). Never an own workspace link (those are the
     * prefix and exactly ten hex digits, and '_' is not one), so reconcile never takes it for an orphan;
     * it lives exactly as long as the spare's namespace, which holds its peer.
     */
    public String spareHostLink(long number) {
        String name = interfacePrefix + "_" + Long.toString(number, 36);
        if (name.length() > 15) {
            throw new IllegalArgumentException("spare link name " + name + " is longer than 15 characters");
        }
        return name;
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
     * The host link names a workspace may have, in order: the hash of its id, then of "id#1", ... A
     * record naming anything else (the host's uplink, another agent's link) is corruption.
     */
    public List<String> hostInterfaceCandidates(WorkspaceId id) {
        List<String> candidates = new ArrayList<>();
        for (int attempt = 0; attempt < HOST_INTERFACE_CANDIDATES; attempt++) {
            candidates.add(interfacePrefix + hash(attempt == 0 ? id.value() : id.value() + "#" + attempt));
        }
        return candidates;
    }

    /** The first candidate no other workspace has (the rare hash clash is settled once, then persisted). */
    public String hostInterface(WorkspaceId id, Set<String> taken) {
        return hostInterfaceCandidates(id).stream().filter(name -> !taken.contains(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("workspace " + id + ": every host link name it may have ("
                        + hostInterfaceCandidates(id) + ") is taken (expected: a free one; a hash clash this deep is a bug)"));
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
