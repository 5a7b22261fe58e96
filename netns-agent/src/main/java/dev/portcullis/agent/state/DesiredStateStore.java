package dev.portcullis.agent.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Keeps the desired state in one JSON file, {@code desired-state.json}, and durable copies of it in
 * two slots, {@code desired-state.durable.a} and {@code .b}. Address slots live here, so IPAM
 * survives restarts.
 *
 * <p>{@link #write} replaces the file (temp file, rename) without waiting for the disk: from then
 * on a restarted agent reads the new state, whatever happens to the process (kill -9 leaves the
 * page cache). That is the write-ahead record the agent needs before it touches the kernel, whose
 * objects a power loss takes away anyway. {@link #makeDurable} then writes the same bytes into the
 * durable slot that does not hold the newest durable state, in place, behind a header with their
 * generation, length and CRC-32C, and flushes that file's data ({@code fdatasync}); the agent awaits
 * it before it answers or publishes anything (see {@code AgentState}); it runs beside the kernel
 * work, so a create pays no fsync before it. A slot is a file of fixed size, padded, so the flush
 * changes no metadata and needs no journal commit: one flush instead of the two fsyncs and two
 * journal commits of a copy replaced by rename (docs/benchmarks.md, "one flush per durable save").
 * A write torn by a power loss fails its CRC, and the other slot still holds every state answered
 * before. After a power loss the file may be an older state, or damaged (its rename survived, its
 * content did not); each save carries a generation, and {@link #load} takes whichever of the file and
 * the slots is newest and readable, so every state that was made durable survives. A slot grows (a
 * new file twice the size, fsynced and renamed into place) only when the state outgrows it.
 */
public final class DesiredStateStore {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DesiredStateStore.class);

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    /** One entry per line: an operator reads and edits the file a workspace at a time. */
    private static final ObjectWriter ENTRY = JSON.writerFor(Entry.class);
    /** Indented fields, and the array of entries one per line (Jackson's default puts an array on one line). */
    private static final ObjectWriter FILE = JSON.writer(new DefaultPrettyPrinter()
            .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE));
    static final int FORMAT_VERSION = 1;

    private static final String SLOT_MAGIC = "portcullis-desired-state";
    private static final Pattern SLOT_HEADER = Pattern.compile(
            SLOT_MAGIC + " generation=([0-9]{1,18}) length=([0-9]{1,9}) crc32c=([0-9a-f]{8})\n");
    /** The header is read from the first bytes of a slot; it is shorter than this. */
    private static final int SLOT_HEADER_MAX = 128;
    private static final int SLOT_MIN_SIZE = 16 * 1024;

    private final Path file;
    /** Where an agent before the two slots kept its durable copy: still read, deleted once a slot holds a newer state. */
    private final Path legacyDurableCopy;
    private final Path[] slots;
    private final AddressPlan plan;
    /** The slot that holds the newest durable state (the next write goes to the other), -1 before it is known. */
    private int newestSlot = -1;
    /** Each slot's file size as last seen (-1: not looked at yet): a round checks it without a stat. */
    private final long[] slotSizes = {-1, -1};
    /** Whether the old single copy may still be there (looked at once, not at every round). */
    private boolean legacyMayExist = true;
    /** The newest generation written or read; the next write gets one more. */
    private long generation;
    /** What the newest write put in the file, for {@link #makeDurable}. */
    private volatile Written lastWritten;
    /** Set once the state directory is known to exist: every save checked it before (a fifth of a write's CPU). */
    private volatile boolean directoryExists;
    /** One {@link #makeDurable} at a time; a {@link #write} may run beside it. */
    private final Object durableLock = new Object();

    private record Written(long generation, byte[] bytes) {}

    /**
     * Each workspace's entry as the last save wrote it, by the record itself (records are immutable: a
     * changed workspace is a new record), so a save encodes only what changed, not every workspace
     * again: at 1000 workspaces that was a third of a save (docs/benchmarks.md, "State save").
     * Under this object's lock, like {@link #write}.
     */
    private Map<WorkspaceRecord, EncodedEntry> encoded = new IdentityHashMap<>();

    /** The line as UTF-8, encoded once: the generator copies its bytes. */
    private record EncodedEntry(boolean deleting, SerializedString json) {}

    /** A file that does not parse: after a power loss, what the durable copy stands in for. */
    private static final class DamagedFile extends IllegalStateException {
        DamagedFile(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Slots only mean addresses under one plan, so the plan is saved with them and checked on load. */
    public DesiredStateStore(Path stateDir, AddressPlan plan) {
        this.file = requireNonNull(stateDir, "stateDir").resolve("desired-state.json");
        this.legacyDurableCopy = stateDir.resolve("desired-state.durable.json");
        this.slots = new Path[] {stateDir.resolve("desired-state.durable.a"), stateDir.resolve("desired-state.durable.b")};
        this.plan = requireNonNull(plan, "plan");
    }

    public Path file() {
        return file;
    }

    public boolean exists() {
        return Files.exists(file);
    }

    /**
     * {@code workspaceIpv6Prefix} is absent when workspaces are IPv4 only, so such files stay as they were.
     * The entries are {@link Entry} when read, and each one's line as the store keeps it ({@link RawValue})
     * when written.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record FileFormat<E>(int version, String addressRange, int slotPrefixLength, String workspaceIpv6Prefix,
            List<E> workspaces, Long generation) {}

    private static final TypeReference<FileFormat<Entry>> READ_FORMAT = new TypeReference<>() {};

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
        Path copySource = null;
        for (Path candidate : durableCandidates()) {
            try {
                Loaded read = candidate.equals(legacyDurableCopy) ? read(candidate, Files.readAllBytes(candidate))
                        : readSlot(candidate);
                if (copy == null || read.generation() > copy.generation()) {
                    copy = read;
                    copySource = candidate;
                }
            } catch (DamagedFile e) {
                copyFailure = e; // a torn slot: the other one holds what was answered before it
            } catch (IOException e) {
                copyFailure = new DamagedFile(candidate + ": cannot read: " + e.getMessage(), e);
            }
        }
        synchronized (durableLock) {
            newestSlot = copySource == null ? -1 : Arrays.asList(slots).indexOf(copySource);
            Arrays.fill(slotSizes, -1); // looked at again by the next round: the disk may differ from what was seen
        }
        if (!Files.exists(file)) {
            generation = copy == null ? 0 : copy.generation();
            return DesiredState.EMPTY;
        }
        Loaded main;
        try {
            main = read(file, readBytes(file));
        } catch (DamagedFile e) {
            if (copy == null) {
                if (copyFailure != null) {
                    e.addSuppressed(copyFailure);
                }
                throw e;
            }
            log.warn("{} (expected after a power loss: its last save had not reached the disk); using the durable copy"
                    + " {}, generation {}, which holds every change the agent answered", e.getMessage(), copySource,
                    copy.generation());
            generation = copy.generation();
            return copy.state();
        }
        generation = Math.max(main.generation(), copy == null ? 0 : copy.generation());
        if (copy != null && copy.generation() > main.generation()) {
            log.warn("{} holds generation {}, its durable copy {} the newer {} (a power loss kept an older file):"
                    + " using the copy", file, main.generation(), copySource, copy.generation());
            return copy.state();
        }
        return main.state();
    }

    private List<Path> durableCandidates() {
        return Stream.of(legacyDurableCopy, slots[0], slots[1]).filter(Files::exists).toList();
    }

    private static byte[] readBytes(Path source) {
        try {
            return Files.readAllBytes(source);
        } catch (IOException e) {
            throw new DamagedFile(source + ": cannot read the desired state: " + e.getMessage(), e);
        }
    }

    /** A durable slot: its header, then exactly the bytes the header's length and CRC-32C describe. */
    private Loaded readSlot(Path slot) throws IOException {
        byte[] content = Files.readAllBytes(slot);
        String head = new String(content, 0, Math.min(content.length, SLOT_HEADER_MAX), StandardCharsets.US_ASCII);
        Matcher header = SLOT_HEADER.matcher(head);
        if (!header.lookingAt()) {
            throw new DamagedFile(slot + ": no durable-copy header (expected: after a power loss that tore its write)", null);
        }
        int start = header.end();
        int length = Integer.parseInt(header.group(2));
        if (start + length > content.length) {
            throw new DamagedFile(slot + ": shorter than its header says (" + length + " bytes)", null);
        }
        CRC32C crc = new CRC32C();
        crc.update(content, start, length);
        if (crc.getValue() != Long.parseLong(header.group(3), 16)) {
            throw new DamagedFile(slot + ": its content does not match its CRC-32C (a write torn by a power loss)", null);
        }
        Loaded loaded = read(slot, Arrays.copyOfRange(content, start, start + length));
        if (loaded.generation() != Long.parseLong(header.group(1))) {
            throw new DamagedFile(slot + ": generation " + loaded.generation() + " inside, " + header.group(1)
                    + " in its header", null);
        }
        return loaded;
    }

    private record Loaded(DesiredState state, long generation) {}

    private Loaded read(Path source, byte[] bytes) {
        FileFormat<Entry> format;
        try {
            format = JSON.readValue(bytes, READ_FORMAT);
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
        Map<WorkspaceRecord, EncodedEntry> entries = new IdentityHashMap<>(2 * state.workspaces().size());
        List<RawValue> lines = new ArrayList<>(state.workspaces().size());
        for (WorkspaceRecord record : state.workspaces()) {
            EncodedEntry entry = encode(record, state.isDeleting(record.id()));
            entries.put(record, entry);
            lines.add(new RawValue(entry.json()));
        }
        byte[] content;
        try {
            content = FILE.writeValueAsBytes(new FileFormat<>(FORMAT_VERSION, plan.range().toString(), plan.slotPrefixLength(),
                    plan.ipv6Prefix().map(Object::toString).orElse(null), lines, generation + 1));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the desired state", e);
        }
        encoded = entries; // the records that left the state leave the cache
        replace(file, content, false);
        generation++;
        lastWritten = new Written(generation, content);
    }

    /** A record's entry as the last save wrote it, or encoded now: one line of the file. */
    private EncodedEntry encode(WorkspaceRecord r, boolean deleting) {
        EncodedEntry known = encoded.get(r);
        if (known != null && known.deleting() == deleting) {
            return known;
        }
        try {
            Entry entry = new Entry(r.id().value(), r.owner(), r.org(), r.slot(), r.hostInterface(), r.egressMbit(),
                    r.ingressMbit() == 0 ? null : r.ingressMbit(), r.weight() == WorkspaceSpec.DEFAULT_WEIGHT ? null : r.weight(),
                    r.createdAt().toString(), deleting ? Boolean.TRUE : null);
            return new EncodedEntry(deleting, new SerializedString(ENTRY.writeValueAsString(entry)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode workspace " + r.id(), e);
        }
    }

    /**
     * Makes the newest write so far survive a power loss: its bytes go into the slot that does not
     * hold the newest durable state, in place, and that file's data is flushed (see the class
     * comment). Covers every write before it; a write that runs meanwhile is covered by the next
     * call. One call at a time.
     */
    public void makeDurable() {
        synchronized (durableLock) {
            Written newest = lastWritten;
            if (newest == null) {
                return; // nothing written by this store yet: what is on disk came from disk
            }
            int target = newestSlot < 0 ? olderSlot() : 1 - newestSlot;
            CRC32C crc = new CRC32C();
            crc.update(newest.bytes());
            // Concatenated, not String.format: parsing the format was 14% of the syncer's CPU in a profile.
            byte[] header = (SLOT_MAGIC + " generation=" + newest.generation() + " length=" + newest.bytes().length
                    + " crc32c=" + HexFormat.of().toHexDigits((int) crc.getValue()) + "\n").getBytes(StandardCharsets.US_ASCII);
            ByteBuffer content = ByteBuffer.allocate(header.length + newest.bytes().length).put(header).put(newest.bytes()).flip();
            try {
                if (slotSizes[target] < 0) {
                    slotSizes[target] = Files.exists(slots[target]) ? Files.size(slots[target]) : 0;
                }
                if (slotSizes[target] < content.remaining()) {
                    slotSizes[target] = grow(slots[target], content);
                } else {
                    try (FileChannel channel = FileChannel.open(slots[target], StandardOpenOption.WRITE)) {
                        while (content.hasRemaining()) {
                            channel.write(content, content.position());
                        }
                        channel.force(false); // the data only: the file's size and blocks are as they were
                    } catch (NoSuchFileException removed) {
                        // Deleted behind the agent's back since its size was seen: made again, as when missing.
                        slotSizes[target] = grow(slots[target], content);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make " + file + " durable in " + slots[target] + ": " + e.getMessage(), e);
            }
            newestSlot = target;
            if (legacyMayExist) {
                try {
                    Files.deleteIfExists(legacyDurableCopy); // a slot holds a newer durable state now
                    legacyMayExist = false;
                } catch (IOException e) {
                    log.warn("could not delete {}, the durable copy of an agent before this one: {}", legacyDurableCopy,
                            e.getMessage());
                }
            }
        }
    }

    /** The slot to write when none is known to hold the newest state: a missing or damaged one, else the older. */
    private int olderSlot() {
        long[] generations = new long[2];
        for (int i = 0; i < 2; i++) {
            try {
                generations[i] = Files.exists(slots[i]) ? readSlot(slots[i]).generation() : -1;
            } catch (IOException | IllegalStateException e) {
                generations[i] = -1;
            }
        }
        return generations[0] <= generations[1] ? 0 : 1;
    }

    /**
     * A slot too small for the state (or missing) is made anew at two to four times the size it needs, padded
     * with spaces so every block of it is written once: temp file, fsync, rename, the directory's fsync.
     * Returns its new size.
     */
    private long grow(Path slot, ByteBuffer content) throws IOException {
        int size = Math.max(SLOT_MIN_SIZE, Integer.highestOneBit(Math.max(1, content.remaining() - 1)) << 2);
        byte[] padded = new byte[size];
        Arrays.fill(padded, (byte) ' ');
        content.get(padded, 0, content.remaining());
        replace(slot, padded, true);
        try (FileChannel directory = FileChannel.open(slot.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
        return size;
    }

    /** Temp file, (fsync,) rename over {@code target}; the content is complete before any rename points at it. */
    private void replace(Path target, byte[] bytes, boolean sync) {
        try {
            if (!directoryExists) {
                Files.createDirectories(target.getParent());
                directoryExists = true;
            }
            try {
                writeAndRename(target, bytes, sync);
            } catch (NoSuchFileException removed) {
                // The state directory was removed behind the agent's back: made again, as at the first save.
                Files.createDirectories(target.getParent());
                writeAndRename(target, bytes, sync);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private static void writeAndRename(Path target, byte[] bytes, boolean sync) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
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
    }
}
