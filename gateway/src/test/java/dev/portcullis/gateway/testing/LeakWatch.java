package dev.portcullis.gateway.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.LoggerFactory;

/**
 * Netty's leak detector at its strictest (every buffer tracked) for the life of this object, and a
 * way to ask whether it found a buffer that was dropped without being released. Its reports are
 * log events; they come only after a GC and a later allocation, so {@link #leaks()} first leaks a
 * marked buffer of its own and waits until that one is reported: then every earlier leak has been
 * reported too, and a clean result cannot come from asking too early.
 */
public final class LeakWatch implements AutoCloseable {
    private static final String DETECTOR_LOGGER = "io.netty.util.ResourceLeakDetector";

    private final ResourceLeakDetector.Level previousLevel = ResourceLeakDetector.getLevel();
    private final Logger logger = (Logger) LoggerFactory.getLogger(DETECTOR_LOGGER);
    private final ListAppender<ILoggingEvent> reports = new ListAppender<>();

    public LeakWatch() throws InterruptedException {
        reports.start();
        logger.addAppender(reports);
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        leaks(); // whatever earlier code in this JVM leaked is reported now, and not blamed on what follows
        synchronized (reports) {
            reports.list.clear();
        }
    }

    /** The leak reports about buffers other than this watch's own marker; empty when nothing leaked. */
    public List<String> leaks() throws InterruptedException {
        String marker = "leak-watch marker " + UUID.randomUUID(); // unique: the detector reports each trace once
        leakMarkedBuffer(marker);
        try {
            Awaitility.await("the leak detector reports the marker buffer").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        System.gc();
                        ByteBufAllocator.DEFAULT.directBuffer(16).release(); // the detector reports when it tracks a new buffer
                        return messages().stream().anyMatch(message -> message.contains(marker));
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the leak detector never reported the marker buffer; it cannot vouch for anything", e);
        }
        return messages().stream().filter(message -> !message.contains("leak-watch marker")).toList();
    }

    private static void leakMarkedBuffer(String marker) {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.touch(marker);
    }

    private List<String> messages() {
        synchronized (reports) {
            return reports.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Override
    public void close() {
        ResourceLeakDetector.setLevel(previousLevel);
        logger.detachAppender(reports);
        reports.stop();
    }
}
