package dev.portcullis.compat;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One app started inside the workspace's namespace ({@code ip netns exec}), as a workspace runtime
 * starts a dev server, with its output in a log file the failure message points to. Stopping it is
 * the workspace's job ({@link CompatWorkspace#killEverythingInside}), which also finds what it started.
 */
final class AppProcess {
    private final String name;
    private final Process process;
    private final Path log;
    private final InetSocketAddress address;

    private AppProcess(String name, Process process, Path log, InetSocketAddress address) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.address = address;
    }

    /**
     * Starts {@code command} in {@code workspace}'s namespace from {@code folder}, with {@code environment}
     * added, and waits until it accepts connections on {@code port} at the workspace's address.
     */
    static AppProcess start(String name, CompatWorkspace workspace, int port, List<String> command, Path folder,
                            Map<String, String> environment, Path logFolder, Duration startTimeout) {
        requireNonNull(command, "command");
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", workspace.namespace()));
        argv.addAll(command);
        Path log = logFolder.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(argv).directory(folder.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting " + name + ": " + argv, e);
        }
        AppProcess app = new AppProcess(name, process, log, new InetSocketAddress(workspace.address(), port));
        await(name + " listening on " + app.address + " (its log: " + log + ")")
                .atMost(startTimeout).pollInterval(Duration.ofMillis(100))
                .failFast(name + " exited early (its log: " + log + ")", () -> !process.isAlive())
                .until(app::accepts);
        return app;
    }

    String name() {
        return name;
    }

    InetSocketAddress address() {
        return address;
    }

    /** The direct URL, from the host, without the gateway: what a developer on the machine would open. */
    String directUrl(String path) {
        return "http://" + address.getAddress().getHostAddress() + ":" + address.getPort() + path;
    }

    /** The tail of its output, for failure messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(address, 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
