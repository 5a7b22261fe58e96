package dev.portcullis.demo.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reasons the demo gives for running on loopback, each from the answer of one command. */
class HostNetworkingTest {
    private static final Ipv4Cidr RANGE = Ipv4Cidr.parse("10.213.255.0/24");

    /** Answers commands from a table (by their first words); anything else succeeds with no output. */
    private static final class ScriptedCommands implements CommandRunner {
        final Map<String, CommandResult> answers = new HashMap<>();
        final List<String> ran = new ArrayList<>();

        ScriptedCommands answer(String command, int exitCode, String stdout, String stderr) {
            answers.put(command, new CommandResult(exitCode, stdout, stderr));
            return this;
        }

        @Override
        public CommandResult run(List<String> argv, String stdin) {
            String command = String.join(" ", argv);
            ran.add(command);
            return answers.entrySet().stream().filter(e -> command.startsWith(e.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElse(new CommandResult(0, "", ""));
        }
    }

    private static ScriptedCommands asRoot() {
        return new ScriptedCommands().answer("id -u", 0, "0\n", "");
    }

    @Test
    void notBeingRootIsTheReasonAndNothingIsTried() {
        ScriptedCommands commands = new ScriptedCommands().answer("id -u", 0, "1000\n", "");

        assertThat(new HostNetworking(commands).whatIsMissing("pcdemo-check-1"))
                .hasValueSatisfying(reason -> assertThat(reason).startsWith("not running as root (id -u = 1000)"));
        assertThat(commands.ran).containsExactly("id -u");
    }

    @Test
    void aMissingToolIsNamedWithItsPackage() {
        ScriptedCommands commands = asRoot().answer("nft -V", 127, "", "cannot start nft");

        assertThat(new HostNetworking(commands).whatIsMissing("pcdemo-check-1"))
                .hasValue("'nft' is not installed (apt-get install nftables)");
    }

    @Test
    void aFailingNetnsAddGivesTheKernelsWords() {
        ScriptedCommands commands = asRoot()
                .answer("ip netns add", 1, "", "mount --make-shared /run/netns failed: Operation not permitted\n");

        assertThat(new HostNetworking(commands).whatIsMissing("pcdemo-check-1"))
                .hasValue("'ip netns add' failed: mount --make-shared /run/netns failed: Operation not permitted");
        assertThat(commands.ran).doesNotContain("ip netns delete pcdemo-check-1");
    }

    @Test
    void aFailingNftGivesItsWordsAndTheProbeNamespaceIsGone() {
        ScriptedCommands commands = asRoot().answer("nft list tables", 1, "", "Operation not permitted\n");

        assertThat(new HostNetworking(commands).whatIsMissing("pcdemo-check-1"))
                .hasValue("'nft list tables' failed: Operation not permitted");
        assertThat(commands.ran).contains("ip netns add pcdemo-check-1", "ip netns delete pcdemo-check-1");
    }

    @Test
    void aRootMachineWithEverythingHasNothingMissing() {
        assertThat(new HostNetworking(asRoot()).whatIsMissing("pcdemo-check-1")).isEmpty();
    }

    @Test
    void anAddressOfTheRangeOnSomeoneElsesLinkIsTheReason() {
        ScriptedCommands commands = new ScriptedCommands().answer("ip -o -4 address show", 0, """
                1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
                7: pc0123456789@if2    inet 10.213.255.4/31 scope global pc0123456789\\       valid_lft forever
                """, "");

        assertThat(new HostNetworking(commands).rangeTakenBy(RANGE, "pcdem"))
                .hasValue("the demo's range 10.213.255.0/24 is in use on this host (10.213.255.4/31 on pc0123456789)");
    }

    @Test
    void theDemosOwnLinksAndOtherRangesDoNotTakeTheRange() {
        ScriptedCommands commands = new ScriptedCommands().answer("ip -o -4 address show", 0, """
                4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever
                9: pcdem2a97516c35@if2    inet 10.213.255.0/31 scope global pcdem2a97516c35\\       valid_lft forever
                10: pc0123456789@if2    inet 10.213.0.0/31 scope global pc0123456789\\       valid_lft forever
                """, "");

        assertThat(new HostNetworking(commands).rangeTakenBy(RANGE, "pcdem")).isEmpty();
    }
}
