package dev.portcullis.store.embedded;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The embedded store on disk: one JSON file holding every key with its revision and lease, and
 * every lease's TTL, replaced atomically on each change, plus a lock file so only one process
 * writes it.
 */
final class StoreFile implements AutoCloseable {

    private static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    record Content(int version, long revision, long nextLeaseId, List<Key> entries, List<Lease> leases) {}

    record Key(String key, byte[] value, long modRevision, long lease) {}

    record Lease(long id, long ttlMillis) {}

    private final Path path;
    private final FileChannel lock;

    private StoreFile(Path path, FileChannel lock) {
        this.path = path;
        this.lock = lock;
    }

    /**
     * Two processes writing one file would each overwrite the other's changes without knowing: the
     * second one to open it is refused instead.
     */
    static StoreFile lock(Path path) {
        Path lockFile = path.resolveSibling(path.getFileName() + ".lock");
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException(path + " is used by another embedded store (" + lockFile
                        + " is locked); only one process may open it");
            }
            return new StoreFile(path, channel);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    /** What the file holds, or empty when there is no file yet. */
    Optional<Content> read() {
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        Content content;
        try {
            content = JSON.readValue(path.toFile(), Content.class);
        } catch (IOException e) {
            // Written atomically, so a damaged file is not a crash mid-write: refuse rather than guess.
            throw new IllegalStateException(path + ": cannot read the embedded store: " + e.getMessage(), e);
        }
        if (content.version() != FORMAT_VERSION) {
            throw new IllegalStateException(path + ": format version " + content.version() + " (expected: " + FORMAT_VERSION + ")");
        }
        return Optional.of(content);
    }

    void write(long revision, long nextLeaseId, List<Key> entries, List<Lease> leases) {
        try {
            AtomicFiles.write(path, JSON.writeValueAsBytes(new Content(FORMAT_VERSION, revision, nextLeaseId, entries, leases)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the store", e);
        }
    }

    /** Releases the lock; the file stays. */
    @Override
    public void close() {
        try {
            lock.close();
        } catch (IOException e) {
            // closing the channel releases the lock; nothing else to do
        }
    }
}
