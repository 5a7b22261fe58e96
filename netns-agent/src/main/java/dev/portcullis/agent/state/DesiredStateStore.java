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
 * Keeps the desired state in four slots, {@code desired-state.durable.a} to {@code .d}, and a copy
 * an operator reads and edits, {@code desired-state.json}. Address slots live here, so
 * IPAM survives restarts.
 *
 * <p>{@link #write} puts the state into a slot, in place, behind a header with its generation,
 * length and CRC-32C, without waiting for the disk: from then on a restarted agent reads the new
 * state, whatever happens to the process (kill -9 leaves the page cache). That is the write-ahead
 * record the agent needs before it touches the kernel, whose objects a power loss takes away anyway.
 * A slot is a file of fixed size, padded, so a write changes no file-system metadata: no file is
 * made, renamed or freed while the agent's save lock is held, which on ext4 made the save the
 * longest wait of 20 creates at once (docs/benchmarks.md, "Saves in place"). {@link #makeDurable}
 * then flushes that slot's data ({@code fdatasync}); the agent awaits it before it answers or
 * publishes anything (see {@code AgentState}), and it runs beside the kernel work, so a create pays
 * no flush before it. {@link #refreshFile} copies the newest durable state to {@code desired-state.json}
 * (temp file, rename) after that, when no one waits for it: the agent once its saves have gone
 * quiet for a moment, and at its close, so a stopped agent leaves the file current for an operator.
 *
 * <p>A write never goes to the slot that holds the newest durable state, nor to the one being
 * flushed, nor to the one the last write went to: with four slots one is always left, so writes go
 * on during a flush, and a write torn by kill -9 or a power loss (its CRC fails) leaves intact the
 * newest complete write and the newest durable state, which holds every state answered before.
 * After a power loss {@code desired-state.json} may be older, or damaged (its rename survived, its
 * content did not); after kill -9 it may lag the slots by the writes not yet made durable. Each
 * save carries a generation, and {@link #load} takes whichever of the file and the slots is newest
 * and readable (the file when it is as new: an operator edited it), so every state that was
 * written survives a crash, and every state made durable survives a power loss. A slot
 * grows (a new file two to four times the size, fsynced and renamed into place) only when the state
 * outgrows it.
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
    /** Where an agent before the slots kept its durable copy: still read, deleted once a slot holds a newer state. */
    private final Path legacyDurableCopy;
    private final Path[] slots;
    private final AddressPlan plan;
    /** The slot that holds the newest durable state, -1 before it is known; never written. Under this object's lock. */
    private int durableSlot = -1;
    /** The slot {@link #makeDurable} flushes now, -1 between two; never written meanwhile. Under this object's lock. */
    private int flushingSlot = -1;
    /** Each slot's file size as last seen (-1: not looked at yet): a write checks it without a stat. Under this object's lock. */
    private final long[] slotSizes = {-1, -1, -1, -1};
    /** Whether the old single copy may still be there (looked at once, not at every round). */
    private boolean legacyMayExist = true;
    /** The newest generation written or read; the next write gets one more. */
    private long generation;
    /** The newest write: its generation, its slot and its bytes (which {@link #refreshFile} copies once durable). */
    private volatile Written lastWritten;
    /** The newest write {@link #makeDurable} made durable: what {@link #refreshFile} copies. */
    private volatile Written durable;
    /** The generation {@code desired-state.json} holds as this store last wrote it; under {@link #fileLock}. */
    private long fileGeneration = -1;
    /** One {@link #refreshFile} at a time; writes and flushes go on meanwhile. */
    private final Object fileLock = new Object();
    /** Set once the state directory is known to exist: every save checked it before (a fifth of a write's CPU). */
    private volatile boolean directoryExists;
    /** One {@link #makeDurable} at a time; a {@link #write} may run beside it. */
    private final Object durableLock = new Object();

    private record Written(long generation, int slot, byte[] bytes) {}

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
        this.slots = Stream.of("a", "b", "c", "d").map(slot -> stateDir.resolve("desired-state.durable." + slot))
                .toArray(Path[]::new);
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
        durableSlot = copySource == null ? -1 : Arrays.asList(slots).indexOf(copySource);
        Arrays.fill(slotSizes, -1); // looked at again by the next write: the disk may differ from what was seen
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
            // After kill -9 the file lags by the writes not yet made durable; after a power loss it may be older still.
            log.warn("{} holds generation {}, the slot {} the newer {} (written ahead; the agent stopped before the file"
                    + " was refreshed): using the slot", file, main.generation(), copySource, copy.generation());
            return copy.state();
        }
        return main.state();
    }

    private List<Path> durableCandidates() {
        return Stream.concat(Stream.of(legacyDurableCopy), Arrays.stream(slots)).filter(Files::exists).toList();
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

    /**
     * {@link #write}, {@link #makeDurable}, {@link #refreshFile}: the state survives a power loss and is
     * in {@code desired-state.json} when this returns.
     */
    public void save(DesiredState state) {
        write(state);
        makeDurable();
        refreshFile();
    }

    /**
     * Puts the state into a slot, in place, no fsync (see the class comment). Visible to the next
     * reader (a restarted agent) when this returns; survives a power loss once {@link #makeDurable}
     * has run after it, and is in {@code desired-state.json} once {@link #refreshFile} has. One writer at a time
     * (the agent's save lock); {@link #makeDurable} may run beside it.
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
        int target = writableSlot();
        ByteBuffer framed = framed(generation + 1, content);
        try {
            if (slotSizes[target] < 0) {
                slotSizes[target] = Files.exists(slots[target]) ? Files.size(slots[target]) : 0;
            }
            if (slotSizes[target] < framed.remaining()) {
                slotSizes[target] = grow(slots[target], framed);
            } else {
                try (FileChannel channel = FileChannel.open(slots[target], StandardOpenOption.WRITE)) {
                    while (framed.hasRemaining()) {
                        channel.write(framed, framed.position());
                    }
                } catch (NoSuchFileException removed) {
                    // Deleted behind the agent's back since its size was seen: made again, as when missing.
                    slotSizes[target] = grow(slots[target], framed);
                }
            }
        } catch (IOException e) {
            slotSizes[target] = -1; // looked at again by the next write
            throw new UncheckedIOException("cannot write the desired state to " + slots[target] + ": " + e.getMessage(), e);
        }
        generation++;
        lastWritten = new Written(generation, target, content);
    }

    /**
     * The slot the next write goes to: the first that holds neither the newest durable state nor the
     * newest write (a write torn by kill -9 must leave the one before it whole: it may have been
     * acted on) and is not being flushed. Under this object's lock.
     */
    private int writableSlot() {
        if (durableSlot < 0) {
            durableSlot = newestReadableSlot(); // a store that was never loaded: the disk says which slot to keep
        }
        Written last = lastWritten;
        int lastSlot = last == null ? -1 : last.slot();
        for (int slot = 0; slot < slots.length; slot++) {
            if (slot != durableSlot && slot != flushingSlot && slot != lastSlot) {
                return slot;
            }
        }
        throw new IllegalStateException("no slot to write: " + slots.length + " slots, one durable, one being flushed,"
                + " one with the newest write");
    }

    /** The slot being flushed now, -1 between two flushes: for tests, which hold this object's lock to keep it. */
    synchronized int flushingSlot() {
        return flushingSlot;
    }

    /** The slot with the newest readable state, -1 when none is readable. */
    private int newestReadableSlot() {
        int newest = -1;
        long newestGeneration = -1;
        for (int slot = 0; slot < slots.length; slot++) {
            try {
                long read = Files.exists(slots[slot]) ? readSlot(slots[slot]).generation() : -1;
                if (read > newestGeneration) {
                    newest = slot;
                    newestGeneration = read;
                }
            } catch (IOException | IllegalStateException e) {
                // damaged or unreadable: nothing in it to keep
            }
        }
        return newest;
    }

    /** A slot's bytes: the header with the generation, length and CRC-32C of {@code content}, then the content. */
    private static ByteBuffer framed(long generation, byte[] content) {
        CRC32C crc = new CRC32C();
        crc.update(content);
        // Concatenated, not String.format: parsing the format was 14% of the syncer's CPU in a profile.
        byte[] header = (SLOT_MAGIC + " generation=" + generation + " length=" + content.length
                + " crc32c=" + HexFormat.of().toHexDigits((int) crc.getValue()) + "\n").getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(header.length + content.length).put(header).put(content).flip();
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
     * Makes the newest write so far survive a power loss: its slot's data is flushed, and the slot
     * then holds the newest durable state (no write touches it until a newer one does). Covers every
     * write before it; writes meanwhile go to another slot and are covered by the next call. One call
     * at a time.
     */
    public void makeDurable() {
        synchronized (durableLock) {
            Written newest;
            synchronized (this) {
                newest = lastWritten;
                Written before = durable;
                if (newest == null || (before != null && newest.generation() <= before.generation())) {
                    return; // nothing written by this store since: what is on disk came from disk, or is durable
                }
                flushingSlot = newest.slot();
            }
            try {
                try (FileChannel channel = FileChannel.open(slots[newest.slot()], StandardOpenOption.WRITE)) {
                    channel.force(false); // the data only: the file's size and blocks are as they were
                } catch (NoSuchFileException removed) {
                    // Deleted behind the agent's back since the write: made again, durable.
                    long size = grow(slots[newest.slot()], framed(newest.generation(), newest.bytes()));
                    synchronized (this) {
                        slotSizes[newest.slot()] = size;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make " + slots[newest.slot()] + " durable: " + e.getMessage(), e);
            } finally {
                synchronized (this) {
                    flushingSlot = -1;
                }
            }
            synchronized (this) {
                durableSlot = newest.slot();
                durable = newest;
            }
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

    /**
     * Copies the newest durable state to {@code desired-state.json} (temp file, rename, no fsync: the
     * slot is the durable record), unless the file holds it already. Off every caller's path (see the
     * class comment): on ext4 the rename was the longest part of a save among 20 creates at once.
     */
    public void refreshFile() {
        synchronized (fileLock) {
            Written newest = durable;
            if (newest == null || newest.generation() <= fileGeneration) {
                return;
            }
            // A state directory removed meanwhile (an operator's cleanup, a test's end) is not made
            // again for a copy; the next save makes it and its slot, and the copy after that save the file.
            if (!replace(file, newest.bytes(), false, false)) {
                return;
            }
            fileGeneration = newest.generation();
        }
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
        replace(target, bytes, sync, true);
    }

    /**
     * Writes {@code target} through a temp file and a rename; false when the state directory is gone
     * and {@code makeDirectory} says not to make it again (nothing written then).
     */
    private boolean replace(Path target, byte[] bytes, boolean sync, boolean makeDirectory) {
        try {
            if (makeDirectory && !directoryExists) {
                Files.createDirectories(target.getParent());
                directoryExists = true;
            }
            try {
                writeAndRename(target, bytes, sync);
            } catch (NoSuchFileException removed) {
                if (!makeDirectory) {
                    return false;
                }
                // The state directory was removed behind the agent's back: made again, as at the first save.
                Files.createDirectories(target.getParent());
                writeAndRename(target, bytes, sync);
            }
            return true;
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
