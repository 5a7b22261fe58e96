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

/** The demo's check that its range is free on this host, from what `ip -o -4 address show` answers. */
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
