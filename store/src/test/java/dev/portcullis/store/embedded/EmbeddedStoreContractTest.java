package dev.portcullis.store.embedded;

import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStoreContractTest extends StoreContractTest {

    @TempDir
    Path dir;

    @Override
    protected KeyValueStore openStore() {
        try {
            return EmbeddedStore.open(Files.createDirectories(dir).resolve("store.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Duration shortTtl() {
        // Not shorter: on a busy machine an fsync can take a good part of a short TTL.
        return Duration.ofSeconds(1);
    }

    @Override
    protected Duration expiryGrace() {
        return Duration.ofMillis(500);
    }
}
