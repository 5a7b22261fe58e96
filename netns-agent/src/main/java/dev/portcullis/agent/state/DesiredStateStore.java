package dev.portcullis.agent.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

/**
 * Keeps the desired state in one JSON file. Writes go to a temp file that is fsynced and renamed
 * over the old one ({@link #write}); the directory's fsync, which makes the rename itself survive a
 * power loss, is a step of its own ({@link #syncDirectory}), so the agent can run it beside the
 * kernel work instead of before it (see {@code AgentState}). After a crash of the process or of
 * the machine the file is either an old state or the new one, never half of each: the new content
 * is on disk before any rename can point to it. Address slots live here, so IPAM survives restarts.
 */
public final class DesiredStateStore {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final int FORMAT_VERSION = 1;

    private final Path file;
    private final AddressPlan plan;

    /** Slots only mean addresses under one plan, so the plan is saved with them and checked on load. */
    public DesiredStateStore(Path stateDir, AddressPlan plan) {
        this.file = requireNonNull(stateDir, "stateDir").resolve("desired-state.json");
        this.plan = requireNonNull(plan, "plan");
    }

    public Path file() {
        return file;
    }

    public boolean exists() {
        return Files.exists(file);
    }

    /** {@code workspaceIpv6Prefix} is absent when workspaces are IPv4 only, so such files stay as they were. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FileFormat(int version, String addressRange, int slotPrefixLength, String workspaceIpv6Prefix,
            List<Entry> workspaces) {}

    /**
     * {@code deleting} is true once a delete has begun; absent (null) otherwise, so files stay as they were.
     * {@code ingressMbit} is absent in files written before ingress was shaped: the agent's default.
     * {@code weight} is absent at the default weight (and in files written before weights).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Entry(String id, String owner, String org, int slot, String hostInterface, int egressMbit,
            Integer ingressMbit, Integer weight, String createdAt, Boolean deleting) {}

    public DesiredState load() {
        if (!Files.exists(file)) {
            return DesiredState.EMPTY;
        }
        try {
            FileFormat format = JSON.readValue(file.toFile(), FileFormat.class);
            if (format.version() != FORMAT_VERSION) {
                throw new IllegalStateException(file + ": version " + format.version() + " (expected: " + FORMAT_VERSION + ")");
            }
            String savedPlan = format.addressRange() + " in /" + format.slotPrefixLength() + " slots";
            String configuredPlan = plan.range() + " in /" + plan.slotPrefixLength() + " slots";
            if (!format.workspaces().isEmpty() && !savedPlan.equals(configuredPlan)) {
                // Reading old slots under a new plan would move workspaces onto other addresses.
                throw new IllegalStateException(file + ": " + format.workspaces().size() + " workspaces were placed in "
                        + savedPlan + ", the config says " + configuredPlan
                        + " (expected: the same addressRange and slotPrefixLength while workspaces exist)");
            }
            String configuredIpv6 = plan.ipv6Prefix().map(Object::toString).orElse(null);
            if (!format.workspaces().isEmpty() && format.workspaceIpv6Prefix() != null
                    && !format.workspaceIpv6Prefix().equals(configuredIpv6)) {
                // Giving IPv6 to workspaces that had none is fine (reconcile adds it); taking it away or
                // moving them to another prefix would leave old addresses, rules and routes behind.
                throw new IllegalStateException(file + ": " + format.workspaces().size() + " workspaces have IPv6 addresses"
                        + " in " + format.workspaceIpv6Prefix() + ", the config says "
                        + (configuredIpv6 == null ? "no workspaceIpv6Prefix" : configuredIpv6)
                        + " (expected: the same workspaceIpv6Prefix while workspaces exist)");
            }
            for (Entry entry : format.workspaces()) {
                if (entry.slot() < 0 || entry.slot() >= plan.slotCount()) {
                    throw new IllegalStateException("workspace " + entry.id() + ": slot " + entry.slot()
                            + " (expected: 0-" + (plan.slotCount() - 1) + ", the slots of " + plan.range() + ")");
                }
            }
            return DesiredState.of(format.workspaces().stream()
                    .map(e -> new WorkspaceRecord(WorkspaceId.of(e.id()), e.owner(), e.org(), e.slot(),
                            e.hostInterface(), e.egressMbit(), e.ingressMbit() == null ? 0 : e.ingressMbit(),
                            e.weight() == null ? WorkspaceSpec.DEFAULT_WEIGHT : e.weight(), Instant.parse(e.createdAt())))
                    .toList(),
                    format.workspaces().stream().filter(e -> Boolean.TRUE.equals(e.deleting()))
                            .map(e -> WorkspaceId.of(e.id())).collect(java.util.stream.Collectors.toSet()));
        } catch (IOException | RuntimeException e) {
            // Refuse to start on a damaged state file: guessing could give two workspaces one address.
            throw new IllegalStateException(file + ": cannot read the desired state: " + e.getMessage(), e);
        }
    }

    /** {@link #write}, then {@link #syncDirectory}: the state survives a power loss when this returns. */
    public void save(DesiredState state) {
        write(state);
        syncDirectory();
    }

    /**
     * Replaces the file: temp file, fsync, rename. Visible to the next reader (a restarted agent) when
     * this returns; survives a power loss once {@link #syncDirectory} has run after it. Not {@code
     * AtomicFiles.write}, which fsyncs the directory every time.
     */
    public void write(DesiredState state) {
        List<Entry> entries = state.workspaces().stream()
                .map(r -> new Entry(r.id().value(), r.owner(), r.org(), r.slot(), r.hostInterface(), r.egressMbit(),
                        r.ingressMbit() == 0 ? null : r.ingressMbit(),
                        r.weight() == WorkspaceSpec.DEFAULT_WEIGHT ? null : r.weight(), r.createdAt().toString(), state.isDeleting(r.id()) ? Boolean.TRUE : null))
                .toList();
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(new FileFormat(FORMAT_VERSION, plan.range().toString(),
                    plan.slotPrefixLength(), plan.ipv6Prefix().map(Object::toString).orElse(null), entries));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the desired state", e);
        }
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true); // the content first: a rename that survives never points at missing data
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Makes every rename of the file so far survive a power loss (an fsync of its directory). */
    public void syncDirectory() {
        try (FileChannel directory = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync the directory of " + file + ": " + e.getMessage(), e);
        }
    }
}
