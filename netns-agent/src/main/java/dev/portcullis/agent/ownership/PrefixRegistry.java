package dev.portcullis.agent.ownership;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.store.embedded.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The host-wide list of the names every running agent owns: one small JSON file per agent (keyed
 * by its state directory) in a directory under /run, written under a lock on that directory. An
 * agent whose prefixes could make the same kernel name as a running agent's is refused at start:
 * a namespace prefix that is a prefix of another's ({@code hr-} and {@code hr-b-}: {@code hr-b-x}
 * is workspace {@code b-x} of one and {@code x} of the other), the same interface prefix, or the same
 * table, or the same uplink to share by weight. Different interface prefixes never collide, since a link name is the prefix
 * and '-' (never in a prefix) and a slot, or the prefix and exactly ten hex digits. An entry whose process is gone (same pid, other start time, or none) is
 * stale and removed; /run itself is emptied at boot.
 */
public final class PrefixRegistry implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** FileChannel locks are per process: threads of one JVM (tests run several agents) queue here first. */
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    /** What one agent registers; {@code uplink} is null when it does not share the host's uplink. */
    public record Entry(String token, long pid, String processStart, String stateDir, String namespacePrefix, String interfacePrefix,
            String table, String uplink) {

        /** Why this agent's names and {@code other}'s can meet, or empty. */
        Optional<String> collisionWith(Entry other) {
            if (namespacePrefix.startsWith(other.namespacePrefix) || other.namespacePrefix.startsWith(namespacePrefix)) {
                return Optional.of("namespacePrefix '" + namespacePrefix + "' and '" + other.namespacePrefix
                        + "' nest, so one agent's workspace namespaces look like the other's");
            }
            if (interfacePrefix.equals(other.interfacePrefix)) {
                return Optional.of("interfacePrefix '" + interfacePrefix + "' is the same");
            }
            if (table.equals(other.table)) {
                return Optional.of("table '" + table + "' is the same");
            }
            if (uplink != null && uplink.equals(other.uplink)) {
                return Optional.of("uplink '" + uplink + "' is the same, and each agent would rebuild the other's tree");
            }
            return Optional.empty();
        }
    }

    private final Path file;
    private final Entry entry;

    private PrefixRegistry(Path file, Entry entry) {
        this.file = file;
        this.entry = entry;
    }

    /**
     * Registers the agent of {@code config}, or refuses with the agent it would collide with. The same
     * state directory is the same agent (a restart), which replaces its old entry.
     */
    public static PrefixRegistry register(AgentConfig config) {
        requireNonNull(config, "config");
        Path dir = config.prefixRegistry();
        ProcessHandle self = ProcessHandle.current();
        // The token tells two registrations of one process apart (a test restarting an agent in place).
        Entry mine = new Entry(java.util.UUID.randomUUID().toString(), self.pid(), startOf(self).orElse("?"), config.stateDir().toAbsolutePath().toString(),
                config.namespacePrefix(), config.interfacePrefix(), config.tableName(),
                config.uplink().map(dev.portcullis.agent.config.UplinkSettings::interfaceName).orElse(null));
        Path file = dir.resolve(key(mine.stateDir()) + ".json");
        IN_PROCESS.lock();
        try {
            Files.createDirectories(dir);
            try (FileChannel lockFile = FileChannel.open(dir.resolve("registry.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = lockFile.lock()) {
                for (Path other : others(dir, file)) {
                    Optional<Entry> live = live(other);
                    if (live.isEmpty()) {
                        Files.deleteIfExists(other);
                        continue;
                    }
                    Optional<String> collision = mine.collisionWith(live.get());
                    if (collision.isPresent()) {
                        throw new IllegalStateException("refusing to start: " + collision.get() + " with the agent of pid "
                                + live.get().pid() + " (state " + live.get().stateDir() + ", registered in " + other
                                + ") (expected: namespace prefixes that do not start with one another, and an own"
                                + " interfacePrefix, table and uplink for every agent on this host)");
                    }
                }
                AtomicFiles.write(file, JSON.writeValueAsBytes(mine));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot register the agent's prefixes in " + dir + ": " + e.getMessage(), e);
        } finally {
            IN_PROCESS.unlock();
        }
        return new PrefixRegistry(file, mine);
    }

    private static List<Path> others(Path dir, Path mine) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(p -> p.getFileName().toString().endsWith(".json") && !p.equals(mine)).toList());
        }
    }

    /** The entry, if its agent's process still runs (a reused pid has another start time). */
    private static Optional<Entry> live(Path file) {
        Entry entry;
        try {
            entry = JSON.readValue(file.toFile(), Entry.class);
        } catch (IOException e) {
            return Optional.empty(); // half-written by an agent killed while writing: nobody's
        }
        return ProcessHandle.of(entry.pid()).flatMap(PrefixRegistry::startOf).filter(entry.processStart()::equals)
                .map(start -> entry);
    }

    private static Optional<String> startOf(ProcessHandle process) {
        return process.info().startInstant().map(Object::toString);
    }

    private static String key(String stateDir) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(stateDir.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    public Path file() {
        return file;
    }

    /** Removes the entry, if it is still this agent's (a restarted agent on the same state owns it now). */
    @Override
    public void close() {
        IN_PROCESS.lock();
        try {
            live(file).filter(entry::equals).ifPresent(e -> AtomicFiles.delete(file));
        } finally {
            IN_PROCESS.unlock();
        }
    }
}
