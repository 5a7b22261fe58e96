package dev.portcullis.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandBatchTest {

    @Test
    void runsEveryCommandInOneProcess() {
        List<List<String>> argvs = new ArrayList<>();
        List<String> inputs = new ArrayList<>();
        CommandRunner recording = (argv, stdin) -> {
            argvs.add(argv);
            inputs.add(stdin);
            return new CommandResult(0, "", "");
        };

        CommandBatch.ip(recording, "pcx-ns").add("link", "set", "dev", "lo", "up")
                .add("route", "replace", "default", "via", "10.0.0.0", "dev", "eth0").run();

        assertThat(argvs).containsExactly(List.of("ip", "-n", "pcx-ns", "-batch", "-"));
        assertThat(inputs).containsExactly("link set dev lo up\nroute replace default via 10.0.0.0 dev eth0\n");
    }

    @Test
    void namesTheCommandThatFailedWithTheToolsMessage() {
        assumeThat(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")))
                .as("iproute2 is installed").isTrue();
        // Nothing changes: the first and last lines only read, the second names a device that does not exist.
        CommandBatch batch = CommandBatch.ip(new ProcessCommandRunner(), null)
                .add("link", "show", "dev", "lo")
                .add("link", "set", "dev", "pcxmissing0", "up")
                .add("link", "show", "dev", "lo");

        assertThatThrownBy(batch::run).isInstanceOf(CommandFailedException.class)
                .hasMessageStartingWith("'ip link set dev pcxmissing0 up' (line 2 of 3 in one 'ip -batch -') exited")
                .hasMessageContaining("Cannot find device \"pcxmissing0\"")
                .hasMessageNotContaining("Command failed");
    }

    @Test
    void listsEveryCommandWhenTheToolEndsWithoutNamingTheLine() {
        CommandRunner failing = (argv, stdin) -> new CommandResult(255, "", "Error: argument \"pcx-nope\" is wrong\n");
        CommandBatch batch = CommandBatch.ip(failing, null).add("netns", "add", "pcx-a")
                .add("link", "add", "pcxa1", "type", "veth", "peer", "name", "eth0", "netns", "pcx-nope");

        assertThatThrownBy(batch::run).isInstanceOf(CommandFailedException.class)
                .hasMessage("'ip -batch -' exited 255 in one of 1) netns add pcx-a, "
                        + "2) link add pcxa1 type veth peer name eth0 netns pcx-nope: Error: argument \"pcx-nope\" is wrong");
    }

    @Test
    void refusesArgumentsTheBatchReaderWouldSplitOrReadAsAComment() {
        CommandBatch batch = CommandBatch.tc((argv, stdin) -> new CommandResult(0, "", ""), "pcx-ns");

        for (String bad : List.of("10.0.0.1/31 dev eth1", "eth0\nlink", "\"quoted\"", "#comment", "")) {
            assertThatThrownBy(() -> batch.add("qdisc", "show", "dev", bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("batch argument: '" + bad + "'");
        }
        assertThat(batch.isEmpty()).isTrue();
    }
}
