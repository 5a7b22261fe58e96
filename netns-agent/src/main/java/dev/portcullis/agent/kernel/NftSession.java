package dev.portcullis.agent.kernel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
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
 * transaction at a time (the kernel serialises nftables transactions anyway); scripts that queue
 * meanwhile go together as the next one (see {@link #run}). A process that dies, hangs
 * past the deadline or answers out of step is stopped and a new one started for the next script.
 * nft keeps no cache of kernel objects between commands of an interactive session that could go
 * stale: every command fetches what it needs (unlike {@code ip -batch}, whose link-name cache does,
 * which is why ip and tc are not kept running; see docs/host-networking.md).
 */
final class NftSession {

    private static final String MARKER_TABLE = "portcullis_nft_session_marker_";
    private static final String MARKER_ERROR = "Error: No such file or directory";

    private final Duration timeout;
    /** At most this many scripts, and this many characters, in one transaction (nft reads a line at a time). */
    private static final int MAX_BATCH = 32;
    private static final int MAX_BATCH_CHARS = 16_000;

    /** A script waiting for its turn, and its caller's answer. */
    private record Pending(String line, CompletableFuture<CommandResult> result) {}

    /** Held for each transaction; package-private so a test can hold the session while callers queue. */
    final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
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
     *
     * <p>Scripts that arrive while another runs are sent together, as one transaction (group commit:
     * twenty creates at once cost a few round trips to nft, not twenty in a row). All or nothing, in
     * the order they arrived, so when it goes in each would have gone in on its own; when it does not,
     * each is run again on its own, so every caller gets its own script's answer.
     */
    CommandResult run(String line) {
        Pending mine = new Pending(line, new CompletableFuture<>());
        synchronized (pending) {
            pending.add(mine);
        }
        lock.lock();
        try {
            if (mine.result().isDone()) {
                return mine.result().join(); // an earlier caller sent it with its own
            }
            List<Pending> batch = new ArrayList<>();
            synchronized (pending) {
                int length = 0;
                while (!pending.isEmpty() && (batch.isEmpty() || (batch.size() < MAX_BATCH
                        && length + pending.peek().line().length() < MAX_BATCH_CHARS))) {
                    Pending next = pending.poll();
                    length += next.line().length() + 2;
                    batch.add(next);
                }
            }
            if (batch.size() > 1) {
                CommandResult together = runLocked(String.join("; ", batch.stream().map(Pending::line).toList()));
                if (together.ok()) {
                    batch.forEach(p -> p.result().complete(together));
                }
            }
            for (Pending p : batch) {
                if (!p.result().isDone()) {
                    p.result().complete(runLocked(p.line()));
                }
            }
            // Mine may have stayed in the queue (a full batch): then it runs on its own now.
            return mine.result().isDone() ? mine.result().join() : runAlone(mine);
        } finally {
            lock.unlock();
        }
    }

    private CommandResult runAlone(Pending mine) {
        synchronized (pending) {
            pending.remove(mine);
        }
        CommandResult result = runLocked(mine.line());
        mine.result().complete(result);
        return result;
    }

    /** One line as one transaction; under the lock. */
    private CommandResult runLocked(String line) {
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

    /** Scripts waiting for the session (for tests). */
    int queued() {
        synchronized (pending) {
            return pending.size();
        }
    }

    /** Transactions sent so far, each followed by its marker (for tests). */
    long transactions() {
        lock.lock();
        try {
            return sequence;
        } finally {
            lock.unlock();
        }
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
