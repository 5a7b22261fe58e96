package dev.portcullis.demo.workspace;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The demo workspace app as its own JVM inside a network namespace ({@code ip netns exec}), the way
 * a workspace's dev server runs there. Its standard input stays open while this process lives: the
 * app stops when it ends, so even a demo killed with SIGKILL leaves no app running.
 */
final class WorkspaceProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final int port;

    private WorkspaceProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the app in {@code namespace} on {@code port} (0: any) and waits until it listens. */
    static WorkspaceProcess start(String namespace, int port, String where) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace,
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments()); // the launcher's JVM options
        String logging = System.getProperty("logback.configurationFile"); // the one this JVM chose at run time
        if (logging != null) {
            command.add("-Dlogback.configurationFile=" + logging);
        }
        command.add("-XX:TieredStopAtLevel=1"); // starts sooner; a demo page needs no peak speed
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), DemoWorkspaceApp.class.getName(),
                Integer.toString(port), where));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            return new WorkspaceProcess(process, awaitListening(process));
        } catch (IOException | RuntimeException e) {
            stop(process);
            throw e;
        }
    }

    /** The port from the app's "listening PORT" line. */
    private static int awaitListening(Process process) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("listening ")) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("the workspace app did not start listening within " + START_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the workspace app started", e);
        } catch (ExecutionException e) {
            throw new IOException("the workspace app failed to start: " + e.getCause(), e);
        }
        if (line == null) {
            throw new IOException("the workspace app exited before it listened (see its output above)");
        }
        return Integer.parseInt(line.substring("listening ".length()).strip());
    }

    int port() {
        return port;
    }

    @Override
    public void close() {
        stop(process);
    }

    private static void stop(Process process) {
        process.destroy(); // `ip netns exec` runs java in its own place, so this is the app's SIGTERM
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
