package dev.portcullis.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class KeyedCountsTest {

    @Test
    void aKeyHoldsAtMostMaxAndAReleaseMakesRoomAgain() {
        KeyedCounts<String> counts = new KeyedCounts<>(2);

        assertThat(counts.tryAcquire("ws-a")).isTrue();
        assertThat(counts.tryAcquire("ws-a")).isTrue();
        assertThat(counts.tryAcquire("ws-a")).as("a third over max 2").isFalse();
        assertThat(counts.tryAcquire("ws-b")).as("another key has its own count").isTrue();
        assertThat(counts.held("ws-a")).isEqualTo(2);

        counts.release("ws-a");
        assertThat(counts.held("ws-a")).isEqualTo(1);
        assertThat(counts.tryAcquire("ws-a")).isTrue();
    }

    @Test
    void aReleaseOfAKeyThatHoldsNothingLeavesItAtZero() {
        KeyedCounts<String> counts = new KeyedCounts<>(1);
        counts.release("never-acquired");
        assertThat(counts.tryAcquire("ws-a")).isTrue();
        counts.release("ws-a");
        counts.release("ws-a");

        assertThat(counts.held("ws-a")).isZero();
        assertThat(counts.tryAcquire("ws-a")).isTrue();
        assertThat(counts.tryAcquire("ws-a")).as("the extra release gave no extra room").isFalse();
    }

    @Test
    void aSweepDropsOnlyTheKeysBackAtZero() {
        KeyedCounts<String> counts = new KeyedCounts<>(5);
        counts.tryAcquire("held");
        counts.tryAcquire("done");
        counts.release("done");
        assertThat(counts.keys()).as("a counter back at zero stays until the sweep").isEqualTo(2);

        counts.sweep();

        assertThat(counts.keys()).isEqualTo(1);
        assertThat(counts.held("held")).isEqualTo(1);
        assertThat(counts.tryAcquire("done")).as("a swept key starts again at zero").isTrue();
        assertThat(counts.held("done")).isEqualTo(1);
    }

    @Test
    void maxBelowOneIsRefused() {
        assertThatThrownBy(() -> new KeyedCounts<String>(0)).hasMessageContaining("max: 0 (expected: >= 1)");
    }

    /** Event loops take and give back while the sampler sweeps: no count is lost or doubled. */
    @Test
    void takingGivingBackAndSweepingAtOnceNeverExceedsMaxAndEndsAtZero() throws Exception {
        int max = 3;
        KeyedCounts<String> counts = new KeyedCounts<>(max);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(5);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                work.add(threads.submit(() -> {
                    start.await();
                    for (int i = 0; i < 50_000; i++) {
                        if (counts.tryAcquire("ws")) {
                            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                            inside.decrementAndGet();
                            counts.release("ws");
                        }
                    }
                    return null;
                }));
            }
            Future<?> sweeper = threads.submit(() -> {
                start.await();
                while (work.stream().anyMatch(f -> !f.isDone())) {
                    counts.sweep();
                }
                return null;
            });
            start.countDown();
            for (Future<?> future : work) {
                future.get();
            }
            sweeper.get();
        } finally {
            threads.shutdownNow();
        }

        assertThat(mostInside.get()).isLessThanOrEqualTo(max);
        assertThat(counts.held("ws")).isZero();
        counts.sweep();
        assertThat(counts.keys()).isZero();
    }
}
