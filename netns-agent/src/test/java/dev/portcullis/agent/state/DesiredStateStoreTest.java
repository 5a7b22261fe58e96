package dev.portcullis.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DesiredStateStoreTest {

    private static final AddressPlan PLAN = new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31);

    @TempDir
    Path dir;

    private static WorkspaceRecord record(String id, int slot, String link) {
        return new WorkspaceRecord(WorkspaceId.of(id), "alice", "acme", slot, link, 0, Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void savedStateLoadsBackUnchanged() {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        DesiredState state = DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 3, "pc0000000002")));

        store.save(state);

        assertThat(new DesiredStateStore(dir, PLAN).load().workspaces()).containsExactlyElementsOf(state.workspaces());
    }

    /**
     * A save reuses the entries of records it wrote before (the store keeps them by the record): each
     * kind of change must still reach the file, save after save by the same store.
     */
    @Test
    void everySaveWritesEachWorkspacesCurrentEntryOnALineOfItsOwn() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        WorkspaceRecord ws1 = record("ws1", 0, "pc0000000001");
        WorkspaceRecord ws2 = record("ws2", 1, "pc0000000002");
        DesiredState first = DesiredState.of(List.of(ws1, ws2));
        store.save(first);

        WorkspaceRecord ws1Changed = new WorkspaceRecord(WorkspaceId.of("ws1"), "alice", "acme", 0, "pc0000000001", 70,
                Instant.parse("2026-01-01T00:00:00Z"));
        DesiredState second = first.with(ws1Changed).markDeleting(ws2.id()).with(record("ws3", 2, "pc0000000003"));
        store.save(second);
        DesiredState loaded = new DesiredStateStore(dir, PLAN).load();
        assertThat(loaded.workspaces()).containsExactlyElementsOf(second.workspaces());
        assertThat(loaded.get(WorkspaceId.of("ws1")).orElseThrow().egressMbit()).as("a changed record").isEqualTo(70);
        assertThat(loaded.isDeleting(ws2.id())).as("a delete begun on an unchanged record").isTrue();

        store.save(second.without(ws2.id()));
        DesiredState third = new DesiredStateStore(dir, PLAN).load();
        assertThat(third.get(ws2.id())).as("a workspace removed").isEmpty();
        assertThat(third.deleting()).isEmpty();
        assertThat(third.workspaces()).hasSize(2);

        List<String> lines = Files.readAllLines(dir.resolve("desired-state.json"));
        assertThat(lines.stream().filter(line -> line.contains("\"id\"")))
                .as("one workspace per line, for an operator to read and edit")
                .hasSize(2).allMatch(line -> line.strip().startsWith("{\"id\"") && line.strip().matches("\\{.*},?"));
        assertThat(slotContent("a")).as("the third save went to slot a again, with the same bytes")
                .isEqualTo(Files.readString(dir.resolve("desired-state.json")));
    }

    @Test
    void anIngressLimitIsSavedAndAFileWithoutOneMeansTheDefault() throws Exception {
        WorkspaceRecord limited = new WorkspaceRecord(WorkspaceId.of("ws1"), "alice", "acme", 0, "pc0000000001", 50, 40,
                Instant.parse("2026-01-01T00:00:00Z"));
        new DesiredStateStore(dir, PLAN).save(DesiredState.of(List.of(limited, record("ws2", 1, "pc0000000002"))));

        String saved = Files.readString(dir.resolve("desired-state.json"));
        assertThat(new DesiredStateStore(dir, PLAN).load().workspaces()).extracting(WorkspaceRecord::ingressMbit)
                .containsExactly(40, 0);
        // ws2 asked for no ingress limit: written as before ingress was shaped, so older agents read the file too.
        assertThat(saved.split("\"ws2\"", 2)[1]).doesNotContain("ingressMbit");
    }

    @Test
    void aWeightIsSavedAndAFileWithoutOneMeansWeightOne() throws Exception {
        WorkspaceRecord heavy = new WorkspaceRecord(WorkspaceId.of("ws1"), "alice", "acme", 0, "pc0000000001", 0, 0, 4,
                Instant.parse("2026-01-01T00:00:00Z"));
        new DesiredStateStore(dir, PLAN).save(DesiredState.of(List.of(heavy, record("ws2", 1, "pc0000000002"))));

        String saved = Files.readString(dir.resolve("desired-state.json"));
        assertThat(new DesiredStateStore(dir, PLAN).load().workspaces()).extracting(WorkspaceRecord::weight)
                .containsExactly(4, 1);
        assertThat(saved.split("\"ws2\"", 2)[1]).as("written as before weights").doesNotContain("weight");
    }

    @Test
    void aWeightOutOfRangeInTheFileIsRefused() throws Exception {
        new DesiredStateStore(dir, PLAN).save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        Path file = dir.resolve("desired-state.json");
        Files.writeString(file, Files.readString(file).replace("\"egressMbit\"", "\"weight\" : 0, \"egressMbit\""));

        assertThatThrownBy(() -> new DesiredStateStore(dir, PLAN).load())
                .hasMessageContaining("weight: 0 (expected: 1-100");
    }

    @Test
    void leavesNoTemporaryFileBehind() throws Exception {
        new DesiredStateStore(dir, PLAN).save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));

        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("desired-state.json", "desired-state.durable.a");
        }
    }

    /** The durable slot's content after its header, which says how long it is. */
    private String slotContent(String slot) throws IOException {
        String content = Files.readString(dir.resolve("desired-state.durable." + slot));
        java.util.regex.Matcher header = java.util.regex.Pattern.compile("portcullis-desired-state generation=(\\d+)"
                + " length=(\\d+) crc32c=[0-9a-f]{8}\n").matcher(content);
        assertThat(header.lookingAt()).as(slot + " starts with its header").isTrue();
        return content.substring(header.end(), header.end() + Integer.parseInt(header.group(2)));
    }

    /**
     * The write-ahead record a create makes before it touches the kernel: in a slot at once, in place,
     * no fsync, no file made or renamed; desired-state.json follows once the slot is durable and the
     * file is refreshed (the agent does that when no one waits for it).
     */
    @Test
    void aWriteIsInASlotAtOnceAndInTheFileOnceDurableAndRefreshed() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        String durableBefore = slotContent("b");
        String fileBefore = Files.readString(dir.resolve("desired-state.json"));
        long size = Files.size(dir.resolve("desired-state.durable.a"));
        Object inodeOfA = Files.getAttribute(dir.resolve("desired-state.durable.a"), "unix:ino");

        store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));

        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).as("a restarted agent reads it").containsExactly("ws1", "ws2");
        assertThat(slotContent("a")).as("the slot without the newest durable state").contains("ws2");
        assertThat(Files.getAttribute(dir.resolve("desired-state.durable.a"), "unix:ino")).as("written in place").isEqualTo(inodeOfA);
        assertThat(Files.size(dir.resolve("desired-state.durable.a"))).as("its size unchanged: no metadata").isEqualTo(size);
        assertThat(slotContent("b")).as("the newest durable state is never overwritten").isEqualTo(durableBefore);
        assertThat(Files.readString(dir.resolve("desired-state.json"))).as("the file: only once durable").isEqualTo(fileBefore);
        store.makeDurable();
        assertThat(Files.readString(dir.resolve("desired-state.json"))).as("nor at the flush: no one waits for it then")
                .isEqualTo(fileBefore);
        store.refreshFile();
        assertThat(Files.readString(dir.resolve("desired-state.json"))).isEqualTo(slotContent("a"));
        store.save(DesiredState.of(List.of(record("ws3", 2, "pc0000000003"))));
        assertThat(slotContent("b")).as("then the other one again").isEqualTo(Files.readString(dir.resolve("desired-state.json")));
    }

    /**
     * kill -9 in the middle of a write tears that slot (the kernel stops a write to the page cache
     * between two pages): the write before it, which a create may already have acted on, must still
     * be whole, so a write never goes to the slot of the newest write either.
     */
    @Test
    void aWriteTornByKillLeavesTheWriteBeforeItWhole() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001")))); // a: durable
        store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"),
                record("ws3", 2, "pc0000000003"))));
        for (String slot : List.of("a", "b", "c", "d")) {
            Path file = dir.resolve("desired-state.durable." + slot);
            byte[] bytes = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).contains("ws3")) {
                bytes[200] ^= 0x20; // the newest write, torn
                Files.write(file, bytes);
            }
        }

        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).as("the write before the torn one").containsExactly("ws1", "ws2");
    }

    /**
     * Writes go on while a slot is flushed: they take the third slot, never the one being flushed (a
     * power loss could tear it after its flush said durable) nor the one with the newest durable state.
     */
    @Test
    void aWriteDuringAFlushTakesTheThirdSlot() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001")))); // a: durable
        for (int attempt = 0; ; attempt++) {
            store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002")))); // b
            String durable = slotContent("a");
            String flushed = slotContent("b");
            Thread flusher = Thread.ofPlatform().start(store::makeDurable);
            boolean caught = false;
            while (!caught && flusher.isAlive()) {
                // Holding the store's lock while b is flushed: the flush cannot end, and this thread writes.
                synchronized (store) {
                    if (store.flushingSlot() == 1) {
                        store.write(DesiredState.of(List.of(record("ws3", 2, "pc0000000003"))));
                        caught = true;
                    }
                }
                Thread.onSpinWait();
            }
            flusher.join();
            if (!caught) {
                // The flush ended before this thread saw it (a fast disk): back to a durable a, and again.
                assertThat(attempt).as("attempts to write while a slot is flushed").isLessThan(50);
                store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
                continue;
            }
            assertThat(slotContent("a")).as("the durable slot").isEqualTo(durable);
            assertThat(slotContent("b")).as("the slot being flushed").isEqualTo(flushed);
            assertThat(slotContent("c")).as("the third slot").contains("ws3");
            assertThat(ids(new DesiredStateStore(dir, PLAN).load())).containsExactly("ws3");
            return;
        }
    }

    /** A power loss tore the newest slot's write: the other one holds what was answered before it. */
    @Test
    void aSlotTornByAPowerLossGivesWayToTheOtherOne() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        Path torn = dir.resolve("desired-state.durable.b");
        byte[] bytes = Files.readAllBytes(torn);
        bytes[200] ^= 0x20; // one changed byte in its content (past the header): the CRC no longer matches
        Files.write(torn, bytes);
        Files.write(dir.resolve("desired-state.json"), new byte[300]); // and the file's content lost too

        DesiredStateStore restarted = new DesiredStateStore(dir, PLAN);
        assertThat(ids(restarted.load())).as("slot a's state").containsExactly("ws1");
        restarted.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws3", 2, "pc0000000003"))));
        assertThat(slotContent("b")).as("the torn slot is the one written next").contains("ws3");
        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).containsExactly("ws1", "ws3");
    }

    /** An agent before the two slots kept one durable copy: read at the first start, deleted once a slot is newer. */
    @Test
    void theDurableCopyOfAnAgentBeforeTheSlotsIsReadAndThenReplaced() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        Files.delete(dir.resolve("desired-state.durable.a"));
        Files.write(dir.resolve("desired-state.durable.json"), Files.readAllBytes(dir.resolve("desired-state.json")));
        Files.write(dir.resolve("desired-state.json"), new byte[300]); // only the old copy can answer

        DesiredStateStore restarted = new DesiredStateStore(dir, PLAN);
        assertThat(ids(restarted.load())).containsExactly("ws1");
        restarted.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        assertThat(dir.resolve("desired-state.durable.json")).doesNotExist();
        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).containsExactly("ws1", "ws2");
    }

    /**
     * The state directory removed while the agent runs (an operator's cleanup): the next save makes it
     * and the durable slot again, as the first save did; a store that remembered the folder and the
     * slots' sizes failed every save from then on.
     */
    @Test
    void aStateDirectoryRemovedWhileTheAgentRunsIsMadeAgainByTheNextSave() throws Exception {
        Path state = dir.resolve("state");
        DesiredStateStore store = new DesiredStateStore(state, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        try (var files = Files.list(state)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(state);

        store.save(DesiredState.of(List.of(record("ws3", 2, "pc0000000003"))));

        Files.write(state.resolve("desired-state.json"), new byte[300]); // only a durable slot can answer
        assertThat(ids(new DesiredStateStore(state, PLAN).load())).containsExactly("ws3");
    }

    /**
     * The copy to desired-state.json runs late, on a thread of its own: a state directory removed
     * meanwhile (an operator's cleanup, a test's end) is not made again for it; the next save does that.
     */
    @Test
    void theFileCopyDoesNotMakeARemovedStateDirectoryAgain() throws Exception {
        Path state = dir.resolve("state");
        DesiredStateStore store = new DesiredStateStore(state, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.write(DesiredState.of(List.of(record("ws2", 1, "pc0000000002"))));
        store.makeDurable();
        try (var files = Files.list(state)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(state);

        store.refreshFile();

        assertThat(state).doesNotExist();
        store.save(DesiredState.of(List.of(record("ws3", 2, "pc0000000003"))));
        assertThat(ids(new DesiredStateStore(state, PLAN).load())).containsExactly("ws3");
    }

    /** A state larger than its slot: the slot is made anew, larger, and read back whole. */
    @Test
    void aSlotGrowsWithTheState() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        long before = Files.size(dir.resolve("desired-state.durable.a"));
        store.save(DesiredState.of(java.util.stream.IntStream.range(0, 120)
                .mapToObj(i -> record("ws" + i, i, String.format("pc%010d", i))).toList()));
        Files.write(dir.resolve("desired-state.json"), new byte[300]);

        assertThat(Files.size(dir.resolve("desired-state.durable.a"))).isGreaterThan(before);
        assertThat(new DesiredStateStore(dir, PLAN).load().workspaces()).hasSize(120);
    }

    /**
     * A power loss kept the file's new name but not its content, and lost a write not yet made
     * durable: the durable slot has every answered change.
     */
    @Test
    void aFileDamagedByAPowerLossGivesWayToTheDurableCopy() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        Files.write(dir.resolve("desired-state.json"), new byte[300]); // what a lost data block reads as
        Files.write(dir.resolve("desired-state.durable.b"), new byte[300]); // the write's slot, never flushed

        DesiredStateStore restarted = new DesiredStateStore(dir, PLAN);
        assertThat(ids(restarted.load())).containsExactly("ws1");

        restarted.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws3", 2, "pc0000000003"))));
        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).as("the next save goes on from the copy's generation")
                .containsExactly("ws1", "ws3");
    }

    /** A power loss kept an older file (its last rename did not reach the disk) but the newer durable copy. */
    @Test
    void anOlderFileThanTheDurableCopyLosesToTheCopy() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        byte[] older = Files.readAllBytes(dir.resolve("desired-state.json"));
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        Files.write(dir.resolve("desired-state.json"), older);

        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).containsExactly("ws1", "ws2");
    }

    @Test
    void aDamagedFileAndADamagedCopyAreRefused() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        Files.writeString(dir.resolve("desired-state.json"), "{\"version\":1,\"workspaces\":[{\"id\":");
        Files.writeString(dir.resolve("desired-state.durable.a"), "{");

        assertThatThrownBy(() -> new DesiredStateStore(dir, PLAN).load()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("desired-state.json: cannot read the desired state");
    }

    private static List<String> ids(DesiredState state) {
        return state.workspaces().stream().map(w -> w.id().value()).toList();
    }

    @Test
    void refusesADamagedFileInsteadOfGuessing() throws Exception {
        Files.writeString(dir.resolve("desired-state.json"), "{\"version\":1,\"workspaces\":[{\"id\":");

        assertThatThrownBy(() -> new DesiredStateStore(dir, PLAN).load())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("desired-state.json");
    }

    @Test
    void refusesToReadSlotsUnderAnotherAddressPlan() {
        new DesiredStateStore(dir, PLAN).save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));

        assertThatThrownBy(() -> new DesiredStateStore(dir, new AddressPlan(Ipv4Cidr.parse("10.213.8.0/24"), 31)).load())
                .hasMessageContaining("placed in 10.213.0.0/24 in /31 slots")
                .hasMessageContaining("the config says 10.213.8.0/24 in /31 slots");
    }

    @Test
    void refusesTwoWorkspacesOnOneSlot() {
        assertThatThrownBy(() -> DesiredState.of(List.of(record("ws1", 2, "pc0000000001"), record("ws2", 2, "pc0000000002"))))
                .hasMessageContaining("slot 2 is used by two workspaces");
    }

    @Test
    void givesIpv6ToExistingWorkspacesButRefusesToMoveOrDropIt() {
        var ula = java.util.Optional.of(dev.portcullis.agent.address.Ipv6Cidr.parse("fd5e:7a31:c0de:1::/64"));
        var other = java.util.Optional.of(dev.portcullis.agent.address.Ipv6Cidr.parse("fd5e:7a31:c0de:2::/64"));
        new DesiredStateStore(dir, PLAN).save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        AddressPlan withIpv6 = new AddressPlan(PLAN.range(), 31, ula);

        assertThat(new DesiredStateStore(dir, withIpv6).load().workspaces()).hasSize(1);
        new DesiredStateStore(dir, withIpv6).save(new DesiredStateStore(dir, withIpv6).load());

        assertThatThrownBy(() -> new DesiredStateStore(dir, new AddressPlan(PLAN.range(), 31, other)).load())
                .hasMessageContaining("1 workspaces have IPv6 addresses in fd5e:7a31:c0de:1::/64, the config says fd5e:7a31:c0de:2::/64");
        assertThatThrownBy(() -> new DesiredStateStore(dir, PLAN).load())
                .hasMessageContaining("the config says no workspaceIpv6Prefix");
    }
}
