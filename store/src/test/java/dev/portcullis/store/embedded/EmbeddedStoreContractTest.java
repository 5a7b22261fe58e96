package dev.portcullis.store.embedded;

import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStoreContractTest extends StoreContractTest {

    @TempDir
    Path dir;

    /** How far the test moved the leases' time ahead of the real one. */
    private final AtomicLong skippedNanos = new AtomicLong();

    @Override
    protected KeyValueStore openStore() {
        try {
            return EmbeddedStore.open(Files.createDirectories(dir).resolve("store.json"),
                    () -> System.nanoTime() + skippedNanos.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Duration shortTtl() {
        // Not shorter: on a busy machine an fsync can take a good part of a short TTL.
        return Duration.ofSeconds(1);
    }

    /** Moves the leases' time ahead at once: time still flows as well, for the keep-alive tests. */
    @Override
    protected void letTimePass(Duration duration) {
        skippedNanos.addAndGet(duration.toNanos());
    }

    @Override
    protected Duration expiryGrace() {
        return Duration.ofMillis(500);
    }
}
