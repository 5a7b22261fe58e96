package dev.portcullis.store;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts records that were read but not valid (corrupt, unknown version, wrong key). They are
 * skipped, never applied and never fatal; the count is the metric an operator alerts on.
 */
public final class SkippedRecords {

    private static final Logger LOG = LoggerFactory.getLogger(SkippedRecords.class);

    private final AtomicLong count = new AtomicLong();

    public void skip(String key, long revision, RuntimeException why) {
        count.incrementAndGet();
        LOG.warn("skipped an invalid store record {} at revision {}: {}", key, revision, why.getMessage());
    }

    public long count() {
        return count.get();
    }
}
