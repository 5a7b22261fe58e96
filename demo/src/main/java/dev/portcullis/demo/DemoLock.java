package dev.portcullis.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One demo per state folder: the folder's CA, issuer key, shares and workspace network state belong
 * to the demo that holds {@code demo.lock} in it. The lock is the kernel's ({@code fcntl}, through
 * {@link FileChannel#tryLock}), so a demo that dies however it dies releases it; the file holds the
 * owner's pid, so a second demo can say who runs and how to stop it.
 */
final class DemoLock implements AutoCloseable {
    static final String FILE = "demo.lock";

    private final FileChannel channel;

    private DemoLock(FileChannel channel) {
        this.channel = channel;
    }

    /** Another demo holds the folder's lock. */
    static final class HeldElsewhere extends Exception {
        HeldElsewhere(String message) {
            super(message);
        }
    }

    /** Takes the lock of {@code stateFolder} (made if missing) and writes this process's pid into it. */
    static DemoLock acquire(Path stateFolder) throws IOException, HeldElsewhere {
        Files.createDirectories(stateFolder);
        Path file = stateFolder.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String owner = readOwner(channel);
            channel.close();
            throw new HeldElsewhere("another demo runs with the state folder " + stateFolder
                    + (owner.isEmpty() ? "" : " (pid " + owner + ")") + ". Stop it with Ctrl-C in its terminal"
                    + (owner.isEmpty() ? "" : " or 'kill " + owner + "'")
                    + ", or give this one a folder of its own: --state-dir DIR");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        channel.force(false);
        return new DemoLock(channel);
    }

    /** The pid the owner wrote, or empty when it has not written it yet (or wrote something else). */
    private static String readOwner(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(32);
        channel.read(buffer, 0);
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
        return text.matches("\\d{1,10}") ? text : "";
    }

    /** Releases the lock; the file stays (removing it would race with a demo starting). */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
