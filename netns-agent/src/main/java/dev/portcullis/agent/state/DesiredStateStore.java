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
 * Keeps the desired state in one JSON file, {@code desired-state.json}, and a durable copy of it,
 * {@code desired-state.durable.json}. Address slots live here, so IPAM survives restarts.
 *
 * <p>{@link #write} replaces the file (temp file, rename) without waiting for the disk: from then
 * on a restarted agent reads the new state, whatever happens to the process (kill -9 leaves the
 * page cache). That is the write-ahead record the agent needs before it touches the kernel, whose
 * objects a power loss takes away anyway. {@link #makeDurable} then writes the same bytes to the
 * durable copy with the fsyncs (the copy's content, its rename, the directory), and the agent
 * awaits it before it answers or publishes anything (see {@code AgentState}); it runs beside the
 * kernel work, so a create pays no fsync before it. After a power loss the file may be an older
 * state, or damaged (its rename survived, its content did not); each save carries a generation, and
 * {@link #load} takes whichever of the two is newer and readable, so every state that was made
 * durable survives. Before this the file's own content was fsynced before every rename (6-11 ms of a
 * create on a busy machine, 29 ms p50 with 20 creates at once).
 */
public final class DesiredStateStore {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DesiredStateStore.class);

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final int FORMAT_VERSION = 1;

    private final Path file;
    private final Path durableCopy;
    private final AddressPlan plan;
    /** The newest generation written or read; the next write gets one more. */
    private long generation;
    /** What the newest write put in the file, for {@link #makeDurable}. */
    private volatile Written lastWritten;
    /** One {@link #makeDurable} at a time; a {@link #write} may run beside it. */
    private final Object durableLock = new Object();

    private record Written(long generation, byte[] bytes) {}

    /** A file that does not parse: after a power loss, what the durable copy stands in for. */
    private static final class DamagedFile extends IllegalStateException {
        DamagedFile(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Slots only mean addresses under one plan, so the plan is saved with them and checked on load. */
    public DesiredStateStore(Path stateDir, AddressPlan plan) {
        this.file = requireNonNull(stateDir, "stateDir").resolve("desired-state.json");
        this.durableCopy = stateDir.resolve("desired-state.durable.json");
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
            List<Entry> workspaces, Long generation) {}

    /**
     * {@code deleting} is true once a delete has begun; absent (null) otherwise, so files stay as they were.
     * {@code ingressMbit} is absent in files written before ingress was shaped: the agent's default.
     * {@code weight} is absent at the default weight (and in files written before weights).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Entry(String id, String owner, String org, int slot, String hostInterface, int egressMbit,
            Integer ingressMbit, Integer weight, String createdAt, Boolean deleting) {}

    /**
     * The newer readable one of the file and its durable copy (the file when both are as new: an
     * operator edits the file). A missing file is {@link DesiredState#EMPTY} (whether that may be is
     * the caller's question); a damaged file without a readable durable copy, or a state that does
     * not fit the configuration, is refused.
     */
    public synchronized DesiredState load() {
        Loaded copy = null;
        IllegalStateException copyFailure = null;
        if (Files.exists(durableCopy)) {
            try {
                copy = read(durableCopy);
            } catch (DamagedFile e) {
                copyFailure = e; // only matters when the file is damaged too
            }
        }
        if (!Files.exists(file)) {
            generation = copy == null ? 0 : copy.generation();
            return DesiredState.EMPTY;
        }
        Loaded main;
        try {
            main = read(file);
        } catch (DamagedFile e) {
            if (copy == null) {
                if (copyFailure != null) {
                    e.addSuppressed(copyFailure);
                }
                throw e;
            }
            log.warn("{} (expected after a power loss: its last save had not reached the disk); using the durable copy"
                    + " {}, generation {}, which holds every change the agent answered", e.getMessage(), durableCopy,
                    copy.generation());
            generation = copy.generation();
            return copy.state();
        }
        generation = Math.max(main.generation(), copy == null ? 0 : copy.generation());
        if (copy != null && copy.generation() > main.generation()) {
            log.warn("{} holds generation {}, its durable copy {} the newer {} (a power loss kept an older file):"
                    + " using the copy", file, main.generation(), durableCopy, copy.generation());
            return copy.state();
        }
        return main.state();
    }

    private record Loaded(DesiredState state, long generation) {}

    private Loaded read(Path source) {
        FileFormat format;
        try {
            format = JSON.readValue(source.toFile(), FileFormat.class);
        } catch (IOException e) {
            // Refuse to start on a damaged state file: guessing could give two workspaces one address.
            throw new DamagedFile(source + ": cannot read the desired state: " + e.getMessage(), e);
        }
        try {
            if (format.version() != FORMAT_VERSION) {
                throw new IllegalStateException(source + ": version " + format.version() + " (expected: " + FORMAT_VERSION + ")");
            }
            String savedPlan = format.addressRange() + " in /" + format.slotPrefixLength() + " slots";
            String configuredPlan = plan.range() + " in /" + plan.slotPrefixLength() + " slots";
            if (!format.workspaces().isEmpty() && !savedPlan.equals(configuredPlan)) {
                // Reading old slots under a new plan would move workspaces onto other addresses.
                throw new IllegalStateException(source + ": " + format.workspaces().size() + " workspaces were placed in "
                        + savedPlan + ", the config says " + configuredPlan
                        + " (expected: the same addressRange and slotPrefixLength while workspaces exist)");
            }
            String configuredIpv6 = plan.ipv6Prefix().map(Object::toString).orElse(null);
            if (!format.workspaces().isEmpty() && format.workspaceIpv6Prefix() != null
                    && !format.workspaceIpv6Prefix().equals(configuredIpv6)) {
                // Giving IPv6 to workspaces that had none is fine (reconcile adds it); taking it away or
                // moving them to another prefix would leave old addresses, rules and routes behind.
                throw new IllegalStateException(source + ": " + format.workspaces().size() + " workspaces have IPv6 addresses"
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
            return new Loaded(DesiredState.of(format.workspaces().stream()
                    .map(e -> new WorkspaceRecord(WorkspaceId.of(e.id()), e.owner(), e.org(), e.slot(),
                            e.hostInterface(), e.egressMbit(), e.ingressMbit() == null ? 0 : e.ingressMbit(),
                            e.weight() == null ? WorkspaceSpec.DEFAULT_WEIGHT : e.weight(), Instant.parse(e.createdAt())))
                    .toList(),
                    format.workspaces().stream().filter(e -> Boolean.TRUE.equals(e.deleting()))
                            .map(e -> WorkspaceId.of(e.id())).collect(java.util.stream.Collectors.toSet())),
                    format.generation() == null ? 0 : format.generation());
        } catch (RuntimeException e) {
            throw new IllegalStateException(source + ": cannot read the desired state: " + e.getMessage(), e);
        }
    }

    /** {@link #write}, then {@link #makeDurable}: the state survives a power loss when this returns. */
    public void save(DesiredState state) {
        write(state);
        makeDurable();
    }

    /**
     * Replaces the file: temp file, rename, no fsync. Visible to the next reader (a restarted agent)
     * when this returns; survives a power loss once {@link #makeDurable} has run after it. One
     * writer at a time (the agent's save lock); {@link #makeDurable} may run beside it.
     */
    public synchronized void write(DesiredState state) {
        List<Entry> entries = state.workspaces().stream()
                .map(r -> new Entry(r.id().value(), r.owner(), r.org(), r.slot(), r.hostInterface(), r.egressMbit(),
                        r.ingressMbit() == 0 ? null : r.ingressMbit(),
                        r.weight() == WorkspaceSpec.DEFAULT_WEIGHT ? null : r.weight(), r.createdAt().toString(), state.isDeleting(r.id()) ? Boolean.TRUE : null))
                .toList();
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(new FileFormat(FORMAT_VERSION, plan.range().toString(),
                    plan.slotPrefixLength(), plan.ipv6Prefix().map(Object::toString).orElse(null), entries, generation + 1));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the desired state", e);
        }
        replace(file, bytes, false);
        generation++;
        lastWritten = new Written(generation, bytes);
    }

    /**
     * Makes the newest write so far survive a power loss: its bytes go to the durable copy (temp
     * file, its fsync, rename, the directory's fsync). Covers every write before it; a write that
     * runs meanwhile is covered by the next call. One call at a time.
     */
    public void makeDurable() {
        synchronized (durableLock) {
            Written newest = lastWritten;
            if (newest == null) {
                return; // nothing written by this store yet: what is on disk came from disk
            }
            replace(durableCopy, newest.bytes(), true);
            try (FileChannel directory = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync the directory of " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Temp file, (fsync,) rename over {@code target}; the content is complete before any rename points at it. */
    private static void replace(Path target, byte[] bytes, boolean sync) {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (sync) {
                    channel.force(true);
                }
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
