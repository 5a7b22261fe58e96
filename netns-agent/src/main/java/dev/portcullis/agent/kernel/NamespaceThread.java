package dev.portcullis.agent.kernel;

import static java.util.Objects.requireNonNull;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes files under /proc/sys/net inside a network namespace from a thread of the agent itself,
 * instead of a process ({@code nsenter … sh -c}: two execs, 5-20 ms on a loaded machine).
 * /proc/sys/net shows the network namespace of the thread that opens a file, and setns(2) moves one
 * thread only; so a new thread enters the namespace, writes, and ends there: no thread that has been
 * inside ever runs anything else, nothing has to find its way back.
 */
final class NamespaceThread {

    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY_CLOEXEC = 0x80000;

    /** libc through JNA (hand-declared: three calls, no header to generate them from). */
    private interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int setns(int fd, int nstype) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final LibC LIBC;
    private static final String UNAVAILABLE;

    static {
        LibC libc = null;
        String why = null;
        try {
            libc = Native.load("c", LibC.class);
        } catch (LinkageError | RuntimeException e) {
            why = "JNA cannot load libc: " + e.getMessage();
        }
        LIBC = libc;
        UNAVAILABLE = why;
    }

    private NamespaceThread() {}

    /** Empty when this JVM can enter namespaces itself; else why not (the caller then runs nsenter). */
    static Optional<String> unavailable() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    /**
     * Writes each value to its file under /proc/sys inside the namespace whose handle is
     * {@code namespaceFile} (/run/netns/NAME); a file the kernel lacks (no IPv6) is skipped.
     */
    static void writeSysctls(Path namespaceFile, Map<Path, String> values, Duration timeout) {
        requireNonNull(namespaceFile, "namespaceFile");
        requireNonNull(values, "values");
        if (LIBC == null) {
            throw new IllegalStateException(UNAVAILABLE);
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread inside = Thread.ofPlatform().name("netns " + namespaceFile.getFileName()).unstarted(() -> {
            try {
                enter(namespaceFile);
                for (Map.Entry<Path, String> value : values.entrySet()) {
                    // A value already there is not written again (see IpRoute#hostSysctl: the network lock).
                    if (Files.exists(value.getKey()) && !Files.readString(value.getKey()).strip().equals(value.getValue())) {
                        Files.writeString(value.getKey(), value.getValue());
                    }
                }
            } catch (IOException e) {
                failure.set(new CommandFailedException("cannot write a sysctl inside " + namespaceFile + ": " + e,
                        new CommandResult(1, "", e.toString())));
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        inside.start();
        try {
            if (!inside.join(timeout)) {
                throw new IllegalStateException("writing sysctls inside " + namespaceFile + " took longer than " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing sysctls inside " + namespaceFile, e);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private static void enter(Path namespaceFile) {
        int fd;
        try {
            fd = LIBC.open(namespaceFile.toString(), O_RDONLY_CLOEXEC);
        } catch (LastErrorException e) {
            throw new CommandFailedException("cannot open " + namespaceFile + ": " + e.getMessage(),
                    new CommandResult(1, "", e.getMessage()));
        }
        try {
            LIBC.setns(fd, CLONE_NEWNET);
        } catch (LastErrorException e) {
            throw new CommandFailedException("setns(" + namespaceFile + ", CLONE_NEWNET) failed: " + e.getMessage(),
                    new CommandResult(1, "", e.getMessage()));
        } finally {
            LIBC.close(fd);
        }
        // A write meant for a workspace must never land on the host's own sysctls: check where we are.
        try {
            String here = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            Object wanted = Files.getAttribute(namespaceFile, "unix:ino");
            if (!here.equals("net:[" + wanted + "]")) {
                throw new IllegalStateException("after setns(" + namespaceFile + ") this thread is in " + here
                        + " (expected: net:[" + wanted + "]); nothing was written");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot confirm the namespace after setns(" + namespaceFile + "): " + e, e);
        }
    }
}
