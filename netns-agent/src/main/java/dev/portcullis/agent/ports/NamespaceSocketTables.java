package dev.portcullis.agent.ports;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the kernel's socket tables of named network namespaces without entering them: {@code /proc/<pid>/net/}
 * shows the tables of the namespace process {@code pid} is in, so one process inside a namespace is
 * enough to read that namespace's sockets. No process is forked and the agent's threads never change
 * namespace.
 *
 * <p>Why not the alternatives: {@code ip netns exec NS cat /proc/net/tcp} (or {@code ss} under
 * {@code ip -all netns exec}) forks two processes per namespace per scan, which at 1 000 workspaces is
 * thousands of forks a second; entering each namespace with {@code setns(2)} from a dedicated thread
 * needs the FFM API, which is final only from Java 22 while Portcullis runs on Java 21. A namespace
 * without any process has no open socket, so it has no listener either.
 */
public final class NamespaceSocketTables {

    private final Path proc;
    private final Path namespaceDir;

    /**
     * @param proc         the proc file system ({@code /proc})
     * @param namespaceDir where named namespaces are mounted ({@code /run/netns} for {@code ip netns})
     */
    public NamespaceSocketTables(Path proc, Path namespaceDir) {
        this.proc = requireNonNull(proc, "proc");
        this.namespaceDir = requireNonNull(namespaceDir, "namespaceDir");
    }

    /**
     * One process in each network namespace that has any, by the namespace's inode number (as
     * {@code readlink /proc/<pid>/ns/net} shows it: {@code net:[4026532281]}). A process that exits
     * while it is read is skipped.
     */
    public Map<Long, Integer> oneProcessPerNamespace() throws IOException {
        Map<Long, Integer> members = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0)) || !allDigits(name)) {
                    continue;
                }
                long inode = namespaceInode(entry);
                if (inode > 0) {
                    members.putIfAbsent(inode, Integer.parseInt(name));
                }
            }
        }
        return members;
    }

    /** The inode number of named namespace {@code namespace}, or empty when it does not exist. */
    public Optional<Long> inodeOf(String namespace) throws IOException {
        if (namespace.isEmpty() || namespace.contains("/") || namespace.equals(".") || namespace.equals("..")) {
            throw new IllegalArgumentException("namespace: '" + namespace + "' (expected: a name, not a path)");
        }
        try {
            return Optional.of(((Number) Files.getAttribute(namespaceDir.resolve(namespace), "unix:ino")).longValue());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The files under {@code /proc/<pid>/net/} (e.g. {@code tcp}, {@code tcp6}), or empty when the
     * process is gone. A table the kernel lacks (no IPv6) reads as empty text.
     */
    public Optional<List<String>> read(int pid, List<String> names) throws IOException {
        Path net = proc.resolve(Integer.toString(pid)).resolve("net");
        List<String> texts = new ArrayList<>(names.size());
        for (String name : names) {
            try {
                texts.add(new String(Files.readAllBytes(net.resolve(name)), StandardCharsets.US_ASCII));
            } catch (NoSuchFileException e) {
                if (!Files.exists(net)) {
                    return Optional.empty(); // the process exited
                }
                texts.add("");
            }
        }
        return Optional.of(texts);
    }

    /** The namespace inode of process directory {@code pid}, or 0 when the process is gone or not readable. */
    private static long namespaceInode(Path pid) {
        String link;
        try {
            link = Files.readSymbolicLink(pid.resolve("ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
        // "net:[4026531840]"
        if (!link.startsWith("net:[") || !link.endsWith("]")) {
            return 0;
        }
        try {
            return Long.parseLong(link, 5, link.length() - 1, 10);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean allDigits(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isDigit(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
