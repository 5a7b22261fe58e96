package dev.portcullis.agent.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One long-lived {@code nft -i} process fed over stdin, so that an nftables change costs a netlink
 * transaction instead of a fork and an exec of {@code nft} (on a loaded machine 5-25 ms against
 * well under one). {@code nft -i} runs each line it reads as one transaction, atomically like
 * {@code nft -f}: a script whose commands each fit on one line is sent as one line, its commands
 * separated by ';'.
 *
 * <p>{@code nft -i} prints nothing for a change that went in and an error for one that did not, so
 * each script is followed by a marker command that always fails the same way ({@code list table}
 * of a table nobody has), and the answer is everything printed before the marker's error. One
 * script at a time (the kernel serialises nftables transactions anyway). A process that dies, hangs
 * past the deadline or answers out of step is stopped and a new one started for the next script.
 * nft keeps no cache of kernel objects between commands of an interactive session that could go
 * stale: every command fetches what it needs (unlike {@code ip -batch}, whose link-name cache does,
 * which is why ip and tc are not kept running; see docs/host-networking.md).
 */
final class NftSession {

    private static final String MARKER_TABLE = "portcullis_nft_session_marker_";
    private static final String MARKER_ERROR = "Error: No such file or directory";

    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    private Process process;
    private Writer in;
    private BufferedReader out;
    private long sequence;

    NftSession(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * The script as one line when every command of it stands on a line of its own (no block spans
     * lines, no quote or comment that a ';' could end up inside); empty otherwise, and the caller runs
     * {@code nft -f -} instead.
     */
    static Optional<String> asOneLine(String script) {
        List<String> commands = new ArrayList<>();
        for (String line : script.split("\n")) {
            String command = line.strip();
            if (command.isEmpty()) {
                continue;
            }
            if (command.startsWith("#") || command.contains(";") || command.contains("'")
                    || count(command, '{') != count(command, '}') || command.endsWith("\\")) {
                return Optional.empty();
            }
            commands.add(command);
        }
        return commands.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", commands));
    }

    private static long count(String text, char c) {
        return text.chars().filter(ch -> ch == c).count();
    }

    /**
     * Runs one line as one transaction; the result looks like that of {@code nft -f -}: exit 0 and
     * nothing printed, or exit 1 and nft's error. Exit 127 when nft cannot be started, 124 on timeout.
     */
    CommandResult run(String line) {
        lock.lock();
        try {
            if (process == null || !process.isAlive()) {
                CommandResult started = start();
                if (!started.ok()) {
                    return started;
                }
            }
            String marker = MARKER_TABLE + (++sequence);
            try {
                in.write(line + "\nlist table inet " + marker + "\n");
                in.flush();
            } catch (IOException e) {
                stop();
                return new CommandResult(1, "", "the long-lived 'nft -i' went away before it read the script: "
                        + e.getMessage());
            }
            return answer(marker);
        } finally {
            lock.unlock();
        }
    }

    private CommandResult answer(String marker) {
        // Read on another thread, so that a hung nft costs the deadline, not the agent.
        CompletableFuture<List<String>> reading = CompletableFuture.supplyAsync(() -> readUntil(marker),
                ProcessCommandRunner.DRAINERS);
        List<String> lines;
        try {
            lines = reading.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            stop();
            return new CommandResult(124, "", "timed out after " + timeout + ": the long-lived 'nft -i'");
        } catch (InterruptedException e) {
            stop();
            Thread.currentThread().interrupt();
            return new CommandResult(130, "", "interrupted: the long-lived 'nft -i'");
        } catch (ExecutionException e) {
            stop();
            return new CommandResult(1, "", "the long-lived 'nft -i' ended: " + e.getCause().getMessage());
        }
        // The marker's own error: its "Error:" line before it, its carets after it (read below).
        if (lines.isEmpty() || !lines.get(lines.size() - 1).equals(MARKER_ERROR)) {
            stop(); // out of step: a new process for the next script
            return new CommandResult(1, "", "the long-lived 'nft -i' answered out of step: " + String.join("\n", lines));
        }
        try {
            out.readLine();
        } catch (IOException e) {
            stop();
        }
        List<String> printed = lines.subList(0, lines.size() - 1);
        return printed.isEmpty() ? new CommandResult(0, "", "") : new CommandResult(1, "", String.join("\n", printed));
    }

    /** The lines before the marker's command line; throws when nft ends first. */
    private List<String> readUntil(String marker) {
        List<String> lines = new ArrayList<>();
        String markerLine = "list table inet " + marker;
        try {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.equals(markerLine)) {
                    return lines;
                }
                lines.add(line);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        throw new IllegalStateException("it exited" + (lines.isEmpty() ? "" : " after: " + String.join("\n", lines)));
    }

    /** Ends the long-lived nft, if one runs; a later script starts a new one. */
    void close() {
        lock.lock();
        try {
            stop();
        } finally {
            lock.unlock();
        }
    }

    private CommandResult start() {
        try {
            process = new ProcessBuilder("nft", "-i").redirectErrorStream(true).start();
        } catch (IOException e) {
            process = null;
            return new CommandResult(127, "", "cannot start nft -i: " + e.getMessage());
        }
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        return new CommandResult(0, "", "");
    }

    private void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        process = null;
    }
}
