package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllocationProbeTest {

    @Test
    void pausesAreCountedSummedAndTheLongestKeptForSerialAndG1Lines() {
        AllocationProbe.Pauses pauses = AllocationProbe.Pauses.of(List.of(
                "[0.004s][info][gc] Using Serial",
                "[12.345s][info][gc] GC(12) Pause Young (Allocation Failure) 69M->2M(247M) 1.250ms",
                "[13.001s][info][gc] GC(13) Pause Young (Normal) (G1 Evacuation Pause) 25M->3M(256M) 2.500ms",
                "[13.500s][info][gc] GC(14) Concurrent Mark Cycle 12.300ms",
                "[14.000s][info][gc] GC(14) Pause Remark 20M->20M(256M) 0.750ms"));

        assertThat(pauses.count()).isEqualTo(3);
        assertThat(pauses.totalMs()).isEqualTo(4.5);
        assertThat(pauses.maxMs()).isEqualTo(2.5);
    }

    @Test
    void aLogWithoutPausesHasNone() {
        assertThat(AllocationProbe.Pauses.of(List.of("[0.004s][info][gc] Using Serial")))
                .isEqualTo(new AllocationProbe.Pauses(0, 0, 0));
    }

    /** A real JVM, attached to as run.sh attaches to a gateway: its event-loop-named thread's bytes are its own. */
    @Test
    void readsTheBytesAnotherJvmAllocatedInAllAndOnItsLoopThreads(@TempDir Path dir) throws Exception {
        Path ready = dir.resolve("ready");
        Path gcLog = dir.resolve("gc.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-Xlog:gc:file=" + gcLog, "-cp", System.getProperty("java.class.path"),
                AllocatingProcess.class.getName(), ready.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ready));

            AllocationProbe.Counters allocated = AllocationProbe.read(Long.toString(child.pid()), "gateway-io-");

            assertThat(allocated.loopThreads()).isEqualTo(1);
            assertThat(allocated.loopBytes()).isBetween(AllocatingProcess.LOOP_BYTES, AllocatingProcess.LOOP_BYTES + 1_000_000L);
            assertThat(allocated.totalBytes()).isGreaterThan(allocated.loopBytes());
            // The loop thread's CPU is its own: it spun for LOOP_CPU_NANOS at least, and is part of the process's.
            assertThat(allocated.loopCpuNanos()).isGreaterThanOrEqualTo(AllocatingProcess.LOOP_CPU_NANOS);
            assertThat(allocated.processCpuNanos()).isGreaterThan(allocated.loopCpuNanos());
            // Spinning is user time; clock-tick accounting may miss a tick or two of it.
            assertThat(allocated.loopUserNanos()).isBetween(AllocatingProcess.LOOP_CPU_NANOS / 2, allocated.loopCpuNanos());
            // Young collections while it allocated, then the full one it asked for: every "Pause" line counted.
            List<String> log = Files.readAllLines(gcLog);
            assertThat(log).anyMatch(line -> line.contains("Pause Full (System.gc())"));
            assertThat(AllocationProbe.Pauses.of(log).count()).isEqualTo(log.stream().filter(line -> line.contains(" Pause ")).count());
        } finally {
            child.destroyForcibly().waitFor();
        }
    }

    /** The attached JVM: one thread named like an event loop allocates a known amount, then all wait. */
    static final class AllocatingProcess {
        static final long LOOP_BYTES = 50L * 1024 * 1024;
        static final long LOOP_CPU_NANOS = 200_000_000L;
        static volatile Object sink;
        static volatile long spun;

        public static void main(String[] args) throws Exception {
            Thread loop = new Thread(() -> {
                for (long done = 0; done < LOOP_BYTES; done += 1024 * 1024) {
                    sink = new byte[1024 * 1024 - 16]; // with its 16-byte header, one MiB
                }
                ThreadMXBean self = ManagementFactory.getThreadMXBean();
                while (self.getCurrentThreadCpuTime() < LOOP_CPU_NANOS) {
                    // user time without allocating; the clock itself is a system call, read seldom
                    for (int i = 0; i < 10_000_000; i++) {
                        spun += i;
                    }
                }
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "gateway-io-1-1");
            loop.setDaemon(true);
            loop.start();
            while (loop.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            System.gc();
            markReady(Path.of(args[0]));
            Thread.sleep(60_000);
        }

        private static void markReady(Path ready) throws IOException {
            Files.writeString(ready, "ready");
        }
    }
}
