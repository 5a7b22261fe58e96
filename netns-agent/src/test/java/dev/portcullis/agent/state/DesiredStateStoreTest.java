package dev.portcullis.agent.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
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
                    .containsExactlyInAnyOrder("desired-state.json", "desired-state.durable.json");
        }
    }

    /** The write-ahead record a create makes before it touches the kernel: in the file at once, no fsync. */
    @Test
    void aWriteIsInTheFileAtOnceAndInTheDurableCopyOnlyOnceMadeDurable() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        String durableBefore = Files.readString(dir.resolve("desired-state.durable.json"));

        store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));

        assertThat(ids(new DesiredStateStore(dir, PLAN).load())).containsExactly("ws1", "ws2");
        assertThat(Files.readString(dir.resolve("desired-state.durable.json"))).isEqualTo(durableBefore);
        store.makeDurable();
        assertThat(Files.readString(dir.resolve("desired-state.durable.json")))
                .isEqualTo(Files.readString(dir.resolve("desired-state.json")));
    }

    /** A power loss kept the file's new name but not its content: the durable copy has every answered change. */
    @Test
    void aFileDamagedByAPowerLossGivesWayToTheDurableCopy() throws Exception {
        DesiredStateStore store = new DesiredStateStore(dir, PLAN);
        store.save(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"))));
        store.write(DesiredState.of(List.of(record("ws1", 0, "pc0000000001"), record("ws2", 1, "pc0000000002"))));
        Files.write(dir.resolve("desired-state.json"), new byte[300]); // what a lost data block reads as

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
        Files.writeString(dir.resolve("desired-state.durable.json"), "{");

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
