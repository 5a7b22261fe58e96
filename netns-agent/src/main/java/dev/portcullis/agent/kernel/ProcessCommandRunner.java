package dev.portcullis.agent.kernel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands as child processes with a deadline, so one hung `nft` cannot wedge the agent. An
 * nftables script given to {@code nft -f -} whose commands each fit on a line goes to one long-lived
 * {@code nft -i} instead ({@link NftSession}): same transaction, same answer, no fork and exec.
 */
public final class ProcessCommandRunner implements CommandRunner, AutoCloseable {

    private static final List<String> NFT_SCRIPT = List.of("nft", "-f", "-");

    // Own threads: the common pool may have one thread, and stdout and stderr must drain together.
    static final java.util.concurrent.ExecutorService DRAINERS =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "command-output");
                t.setDaemon(true);
                return t;
            });

    private final Duration timeout;
    private final NftSession nft;

    public ProcessCommandRunner(Duration timeout) {
        this.timeout = timeout;
        this.nft = new NftSession(timeout);
    }

    public ProcessCommandRunner() {
        this(Duration.ofSeconds(20));
    }

    /**
     * Ends the long-lived {@code nft -i}: whoever made this runner closes it when done, so no child
     * process outlives its owner (it would end anyway once this JVM is gone and its stdin closes).
     */
    @Override
    public void close() {
        nft.close();
    }

    @Override
    public CommandResult run(List<String> argv, String stdin) {
        if (argv.equals(NFT_SCRIPT)) {
            Optional<String> line = NftSession.asOneLine(stdin);
            if (line.isPresent()) {
                return nft.run(line.get());
            }
        }
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            return new CommandResult(127, "", "cannot start " + argv.get(0) + ": " + e.getMessage());
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()), DRAINERS);
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()), DRAINERS);
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The command exited without reading its input; its exit code tells the story.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                return new CommandResult(124, out.join(), "timed out after " + timeout + ": " + String.join(" ", argv));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return new CommandResult(130, "", "interrupted: " + String.join(" ", argv));
        }
        return new CommandResult(process.exitValue(), out.join(), err.join());
    }

    private static String drain(InputStream stream) {
        try (stream) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            stream.transferTo(buffer);
            return buffer.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
