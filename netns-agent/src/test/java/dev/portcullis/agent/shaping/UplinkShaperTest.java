package dev.portcullis.agent.shaping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.config.UplinkSettings;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.policy.WorkspaceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link UplinkShaper} asks tc to do, without a kernel: the commands it runs for a given root
 * and classes. The kernel-level behaviour is {@code UplinkShapingTest}'s.
 */
class UplinkShaperTest {

    @TempDir
    Path sys;

    /** Answers "tc qdisc show" and "tc -d class show" from fixed text; records every command. */
    private static final class ScriptedTc implements CommandRunner {
        final List<String> ran = new ArrayList<>();
        final List<String> stdins = new ArrayList<>();
        String root = "qdisc noqueue 0: root refcnt 2\n";
        String classes = "";

        @Override
        public CommandResult run(List<String> argv, String stdin) {
            ran.add(String.join(" ", argv));
            stdins.add(stdin);
            if (argv.contains("qdisc") && argv.contains("show")) {
                return new CommandResult(0, root, "");
            }
            if (argv.contains("class") && argv.contains("show")) {
                return new CommandResult(0, classes, "");
            }
            return new CommandResult(0, "", "");
        }
    }

    private final ScriptedTc tc = new ScriptedTc();
    private UplinkShaper shaper;

    @BeforeEach
    void uplinkExists() throws Exception {
        Files.createDirectories(sys.resolve("eth9"));
        shaper = new UplinkShaper(tc, new UplinkSettings("eth9", 100), sys);
    }

    private static WorkspaceRecord workspace(String id, int slot, int weight) {
        return new WorkspaceRecord(WorkspaceId.of(id), "alice", "acme", slot, "pc000000000" + slot, 0, 0, weight,
                Instant.EPOCH);
    }

    @Test
    void onTheKernelsDefaultRootBuildsTheWholeTreeInOneBatch() {
        shaper.sync(() -> List.of(workspace("a", 0, 1), workspace("b", 1, 2)));

        assertThat(tc.ran).containsExactly("tc qdisc show dev eth9 root", "tc -batch -");
        assertThat(tc.stdins.get(1)).isEqualTo("""
                qdisc add dev eth9 root handle 7063: htb default 2
                class replace dev eth9 parent 7063: classid 7063:1 htb rate 100000kbit ceil 100000kbit quantum 65536
                class replace dev eth9 parent 7063:1 classid 7063:2 htb rate 25000kbit ceil 100000kbit quantum 65536
                class replace dev eth9 parent 7063:1 classid 7063:10 htb rate 25000kbit ceil 100000kbit quantum 65536
                class replace dev eth9 parent 7063:1 classid 7063:11 htb rate 50000kbit ceil 100000kbit quantum 131072
                """);
    }

    @Test
    void aTreeAsItShouldBeCostsOneLookAndNoChange() {
        tc.root = "qdisc htb 7063: root refcnt 3 r2q 10 default 0x2 direct_packets_stat 0 ver 3.17 direct_qlen 1000\n";
        tc.classes = """
                class htb 7063:1 root rate 100Mbit ceil 100Mbit linklayer ethernet burst 1600b/1 mpu 0b cburst 1600b/1 mpu 0b level 7
                class htb 7063:2 parent 7063:1 prio 0 quantum 65536 rate 33333Kbit ceil 100Mbit linklayer ethernet burst 1600b/1 mpu 0b level 0
                class htb 7063:10 parent 7063:1 prio 0 quantum 131072 rate 66666Kbit ceil 100Mbit linklayer ethernet burst 1600b/1 mpu 0b level 0
                """;

        List<String> changes = shaper.sync(() -> List.of(workspace("a", 0, 2)));

        assertThat(changes).isEmpty();
        assertThat(tc.ran).containsExactly("tc qdisc show dev eth9 root", "tc -d class show dev eth9");
    }

    @Test
    void aForeignRootIsRefusedWithoutAnyChange() {
        tc.root = "qdisc tbf 8001: root refcnt 2 rate 1Mbit burst 32Kb lat 50ms\n";

        assertThatThrownBy(() -> shaper.sync(() -> List.of(workspace("a", 0, 1))))
                .isInstanceOf(UplinkShaper.ForeignRootException.class)
                .hasMessageStartingWith("uplink eth9 has a root qdisc the agent did not make: 'qdisc tbf 8001: root");
        assertThatThrownBy(shaper::checkOwnable).hasMessageEndingWith("refusing to start, nothing was changed");
        assertThat(tc.ran).allMatch(command -> command.equals("tc qdisc show dev eth9 root"));
        shaper.remove();
        assertThat(tc.ran).as("remove leaves it too").allMatch(command -> command.equals("tc qdisc show dev eth9 root"));
    }

    @Test
    void theKernelsDefaultRootsAreNobodysAndMayBeReplaced() {
        for (String root : List.of("qdisc mq 0: root", "qdisc fq_codel 0: root refcnt 2 limit 10240p",
                "qdisc pfifo_fast 0: root refcnt 2 bands 3", "qdisc noqueue 0: root refcnt 2")) {
            tc.root = root + "\n";
            shaper.checkOwnable();
        }
    }

    @Test
    void readsTcsRatesInItsUnits() {
        assertThat(UplinkShaper.kbit("19047Kbit")).isEqualTo(19_047);
        assertThat(UplinkShaper.kbit("40Mbit")).isEqualTo(40_000);
        assertThat(UplinkShaper.kbit("10Gbit")).isEqualTo(10_000_000);
        assertThat(UplinkShaper.kbit("800bit")).isEqualTo(1);
        assertThat(UplinkShaper.kbit("fast")).isEqualTo(-1);
    }

    @Test
    void classIdsAreTheSlotAboveSixteenInHex() {
        assertThat(UplinkShaper.classId(0)).isEqualTo("7063:10");
        assertThat(UplinkShaper.classId(0x20)).isEqualTo("7063:30");
        assertThat(UplinkShaper.classId(0xffef)).isEqualTo("7063:ffff");
        assertThatThrownBy(() -> UplinkShaper.classId(0xfff0)).hasMessageContaining("expected: 0-65519");
    }
}
