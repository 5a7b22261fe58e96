package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.state.DesiredStateStore;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes applied by many callers at once are saved together (group commit): each caller returns
 * only once its change is on disk, none is lost, no two get one slot, and a failed write drops
 * exactly the changes it carried and tells their callers.
 */
class AgentStateGroupCommitTest {

    private static final AddressPlan PLAN = new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31);

    @TempDir
    Path dir;

    private static WorkspaceRecord record(String id, int slot) {
        return new WorkspaceRecord(WorkspaceId.of(id), "alice", "acme", slot, "pc" + String.format("%010d", slot), 0, 0,
                Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Picks the first free slot of what the change sees, as a create does. */
    private static DesiredState withFreeSlot(DesiredState before, String id) {
        int slot = IntStream.range(0, PLAN.slotCount()).filter(s -> !before.usedSlots().contains(s)).findFirst().orElseThrow();
        return before.with(record(id, slot));
    }

    /**
     * Runs {@code callers} bodies at once (released together by a barrier) and waits for all of them;
     * each outcome, value or failure, in the order of the bodies.
     */
    private static List<CompletableFuture<Void>> atOnce(int callers, java.util.function.IntConsumer body)
            throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(callers);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<CompletableFuture<Void>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                int index = i;
                calls.add(CompletableFuture.runAsync(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    body.accept(index);
                }, pool));
            }
            try {
                CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // some failed: each test looks at each outcome
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("callers still waiting after 60 s", e);
            }
            return calls;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A store in {@code stateDir} as the agent's start leaves it: its file saved, empty (a missing file
     * reads as a lost one, whatever the slots hold; see WorkspaceNetworks#checkStateFileNotLost).
     */
    private static DesiredStateStore started(Path stateDir) {
        DesiredStateStore store = new DesiredStateStore(stateDir, PLAN);
        store.save(DesiredState.EMPTY);
        return store;
    }

    /** State over a store in the test's folder whose every durable sync runs {@code beforeSync} first (a gate, a failure). */
    private AgentState withDurableSync(Runnable beforeSync) {
        DesiredStateStore store = started(dir);
        return new AgentState(store, DesiredState.EMPTY, () -> {
            beforeSync.run();
            store.makeDurable();
        });
    }

    /** {@link #atOnce} on a thread of its own, so the test can look at the callers while they wait. */
    private static CompletableFuture<List<CompletableFuture<Void>>> atOnceInBackground(int callers,
            java.util.function.IntConsumer body) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return atOnce(callers, body);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void manyCallersAtOnceAllLandOnDiskEachWithItsOwnSlot() throws Exception {
        DesiredStateStore store = started(dir);
        AgentState state = new AgentState(store, DesiredState.EMPTY);
        int callers = 40;
        for (CompletableFuture<Void> update : atOnce(callers, i -> {
            String id = "ws" + i;
            state.update(before -> withFreeSlot(before, id));
            // Returned: the change is visible and on disk.
            assertThat(state.desired().get(WorkspaceId.of(id))).isPresent();
            DesiredState onDisk;
            synchronized (store) { // no write half done: what an agent restarted after kill -9 at this instant reads
                onDisk = new DesiredStateStore(dir, PLAN).load();
            }
            assertThat(onDisk.get(WorkspaceId.of(id))).isPresent();
        })) {
            update.get();
        }
        DesiredState saved = new DesiredStateStore(dir, PLAN).load();
        assertThat(saved.workspaces()).hasSize(callers);
        assertThat(saved.usedSlots()).hasSize(callers);
        assertThat(state.desired().workspaces()).containsExactlyInAnyOrderElementsOf(saved.workspaces());
        // The durable copy's writer runs on a thread of its own: done before the temp directory is removed
        // (it used to still write there now and then, and the directory's removal failed the test).
        state.awaitDurable();
    }

    /**
     * No flush before the kernel is touched: a change is in the file (a restarted agent reads it) as
     * soon as update returns, while the durable sync still runs; whoever answers or publishes waits
     * for that sync, which covers every save before it.
     */
    @Test
    void updateReturnsBeforeTheDirectorySyncAndAwaitDurableWaitsForIt() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger syncs = new java.util.concurrent.atomic.AtomicInteger();
        AgentState state = withDurableSync(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            syncs.incrementAndGet();
        });
        state.update(before -> withFreeSlot(before, "ws1"));
        state.update(before -> withFreeSlot(before, "ws2"));
        assertThat(new DesiredStateStore(dir, PLAN).load().workspaces()).extracting(w -> w.id().value())
                .containsExactlyInAnyOrder("ws1", "ws2");
        assertThat(syncs).hasValue(0);

        CompletableFuture<Void> waiting = CompletableFuture.runAsync(state::awaitDurable);
        // Held for a while: it could end only if awaitDurable did not wait for the sync.
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !waiting.isDone());
        release.countDown();
        waiting.get(20, TimeUnit.SECONDS);
        assertThat(syncs.get()).as("one sync covers both saves").isBetween(1, 2);
    }

    /**
     * 20 callers wait for a held sync, each parked on its own: all return once it ends, and when the
     * next one fails, all 20 waiting for it are told; none hangs either way.
     */
    @Test
    void manyWaitersForOneSyncAllReturnWhenItEndsAndAllLearnWhenItFails() throws Exception {
        java.util.concurrent.Semaphore syncsAllowed = new java.util.concurrent.Semaphore(0);
        java.util.concurrent.atomic.AtomicBoolean failNext = new java.util.concurrent.atomic.AtomicBoolean();
        AgentState state = withDurableSync(() -> {
            syncsAllowed.acquireUninterruptibly();
            if (failNext.get()) {
                throw new java.io.UncheckedIOException(new IOException("EIO (a test's disk)"));
            }
        });
        state.update(before -> withFreeSlot(before, "ws1"));
        java.util.concurrent.CountDownLatch parked = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<List<CompletableFuture<Void>>> first = atOnceInBackground(20, i -> {
            parked.countDown();
            state.awaitDurable();
        });
        parked.await();
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200)).atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !first.isDone());
        syncsAllowed.release(100);
        assertThat(first.get(60, TimeUnit.SECONDS)).allSatisfy(call -> assertThat(call).isCompleted());

        syncsAllowed.drainPermits();
        failNext.set(true);
        state.update(before -> withFreeSlot(before, "ws2"));
        CompletableFuture<List<CompletableFuture<Void>>> second = atOnceInBackground(20, i -> state.awaitDurable());
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200)).atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !second.isDone());
        syncsAllowed.release(100);
        assertThat(second.get(60, TimeUnit.SECONDS)).allSatisfy(call -> assertThat(call)
                .failsWithin(java.time.Duration.ZERO).withThrowableThat().withMessageContaining("EIO (a test's disk)"));
    }

    /**
     * The state file an operator reads follows the durable slots off every caller's path: not while a
     * save's flush is held (the caller's answer does not wait for the file), once the saves have gone
     * quiet, and at once when the agent settles before it stops.
     */
    @Test
    void theStateFileFollowsOnceTheSavesGoQuietAndIsCurrentAfterSettle() throws Exception {
        java.util.concurrent.Semaphore syncsAllowed = new java.util.concurrent.Semaphore(1);
        AgentState state = withDurableSync(syncsAllowed::acquireUninterruptibly);
        Path file = dir.resolve("desired-state.json");
        state.awaitDurable(state.update(before -> withFreeSlot(before, "ws1")));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> Files.readString(file).contains("\"ws1\""));

        long second = state.update(before -> withFreeSlot(before, "ws2"));
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200)).atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !Files.readString(file).contains("\"ws2\""));
        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).as("a restarted agent reads the slot")
                .containsExactlyInAnyOrder("ws1", "ws2");
        syncsAllowed.release(10);
        state.awaitDurable(second);
        state.settle();
        assertThat(Files.readString(file)).contains("\"ws2\"");
    }

    private static List<String> ids(DesiredState desired) {
        return desired.workspaces().stream().map(w -> w.id().value()).toList();
    }

    /** A create publishes once its own record is durable: a later save whose fsync is held does not hold it. */
    @Test
    void aCallerWaitsForItsOwnSaveToBeDurableNotForLaterOnes() throws Exception {
        java.util.concurrent.Semaphore syncsAllowed = new java.util.concurrent.Semaphore(1); // the first runs, the next wait
        AgentState state = withDurableSync(syncsAllowed::acquireUninterruptibly);
        long first = state.update(before -> withFreeSlot(before, "ws1"));
        state.awaitDurable(first);
        long second = state.update(before -> withFreeSlot(before, "ws2"));
        assertThat(second).isGreaterThan(first);

        CompletableFuture<Void> everything = CompletableFuture.runAsync(state::awaitDurable);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> state.awaitDurable(first), "its own save is durable: no wait for the held one");
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(200)).atMost(java.time.Duration.ofSeconds(5))
                .until(() -> !everything.isDone());
        syncsAllowed.release(10);
        everything.get(20, TimeUnit.SECONDS);
    }

    @Test
    void aDirectorySyncThatFailsReachesWhoeverWaitsForIt() {
        AgentState state = new AgentState(started(dir), DesiredState.EMPTY, () -> {
            throw new java.io.UncheckedIOException(new IOException("EIO (a test's disk)"));
        });
        state.update(before -> withFreeSlot(before, "ws1"));
        assertThatThrownBy(state::awaitDurable).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not be made durable").hasMessageContaining("EIO (a test's disk)");
    }

    @Test
    void aFailedWriteDropsTheChangeAndTellsItsCaller() throws IOException {
        DesiredStateStore store = new DesiredStateStore(dir.resolve("state"), PLAN);
        Files.createDirectories(dir.resolve("state"));
        AgentState state = new AgentState(store, DesiredState.EMPTY);
        state.update(before -> withFreeSlot(before, "ws1"));
        state.awaitDurable(); // the durable copy written, so its writer no longer runs in the folder
        // The folder gone: the next write cannot happen.
        try (var files = Files.list(dir.resolve("state"))) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir.resolve("state"));
        Files.writeString(dir.resolve("state"), "not a folder");

        assertThatThrownBy(() -> state.update(before -> withFreeSlot(before, "ws2"))).isInstanceOf(RuntimeException.class);
        assertThat(state.desired().workspaces()).extracting(w -> w.id().value()).containsExactly("ws1");

        Files.delete(dir.resolve("state"));
        Files.createDirectories(dir.resolve("state"));
        state.update(before -> withFreeSlot(before, "ws3"));
        assertThat(state.desired().workspaces()).extracting(w -> w.id().value()).containsExactlyInAnyOrder("ws1", "ws3");
        state.settle(); // the file, gone with its folder, is made again from the durable slot (a missing file reads as lost)
        assertThat(store.load().workspaces()).extracting(w -> w.id().value()).containsExactlyInAnyOrder("ws1", "ws3");
        assertThat(state.exclusive(() -> state.desired().workspaces().size())).isEqualTo(2);
    }

    /**
     * Callers that wait while another saves learn the outcome without queueing on the save lock; when
     * the writes fail, every one of them is told and none waits forever.
     */
    @Test
    void manyCallersAtOnceWhoseWritesFailAreAllToldAndNoneHangs() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir.resolve("state"), PLAN);
        Files.writeString(dir.resolve("state"), "not a folder");
        AgentState state = new AgentState(store, DesiredState.EMPTY);
        for (CompletableFuture<Void> update : atOnce(20, i -> state.update(before -> withFreeSlot(before, "ws" + i)))) {
            assertThatThrownBy(update::get).as("every caller is told, none hangs")
                    .isInstanceOf(java.util.concurrent.ExecutionException.class).hasMessageContaining("state");
        }
        assertThat(state.desired().workspaces()).isEmpty();

        Files.delete(dir.resolve("state"));
        state.update(before -> withFreeSlot(before, "after"));
        state.settle(); // the first file of this folder, from the durable slot (a missing file reads as lost)
        assertThat(store.load().workspaces()).extracting(w -> w.id().value()).containsExactly("after");
    }

    /** A change that throws (a requested address taken) is dropped alone; the changes applied with it are saved. */
    @Test
    void aChangeThatThrowsAmongManyFailsAloneAndTheOthersAreSaved() throws Exception {
        DesiredStateStore store = started(dir);
        AgentState state = new AgentState(store, DesiredState.EMPTY);
        List<CompletableFuture<Void>> updates = atOnce(20, i -> state.update(before -> {
            if (i % 4 == 0) {
                throw new IllegalArgumentException("refused ws" + i);
            }
            return withFreeSlot(before, "ws" + i);
        }));
        for (int i = 0; i < updates.size(); i++) {
            if (i % 4 == 0) {
                assertThatThrownBy(updates.get(i)::get).hasCauseInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("refused ws" + i);
            } else {
                updates.get(i).get();
            }
        }
        assertThat(new DesiredStateStore(dir, PLAN).load().workspaces()).extracting(w -> w.id().value())
                .hasSize(15).doesNotContain("ws0", "ws4", "ws8", "ws12", "ws16");
        state.awaitDurable();
    }
}
