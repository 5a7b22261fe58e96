package dev.portcullis.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a command's servers running until the process is asked to stop (Ctrl-C, SIGTERM), then
 * closes them newest first. Used by the commands that run until stopped: {@code gateway},
 * {@code agent run} and {@code demo}.
 */
public final class RunningUntilStopped {
    private static final Logger log = LoggerFactory.getLogger(RunningUntilStopped.class);

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public void add(AutoCloseable resource) {
        resources.push(resource);
    }

    /** Blocks until the JVM shuts down; the shutdown hook closes everything before it exits. */
    public void await() throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, "portcullis-shutdown"));
        stopped.await();
    }

    public void closeAll() {
        log.info("Stopping");
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("Could not close {} cleanly", resource, e);
            }
        }
        stopped.countDown();
    }
}
