package dev.portcullis.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each reason a host cannot build workspace networks, from the answer of one command. */
class HostSupportTest {

    private static final String PROBE = "pcx-check-1";

    private final List<String> ran = new ArrayList<>();
    private final Map<String, CommandResult> answers = new LinkedHashMap<>();

    /** Answers from {@link #answers} by a command's first words; anything else succeeds with no output. */
    private final CommandRunner scripted = (argv, stdin) -> {
        String command = String.join(" ", argv);
        ran.add(command);
        return answers.entrySet().stream().filter(e -> command.startsWith(e.getKey())).map(Map.Entry::getValue)
                .findFirst().orElse(new CommandResult(0, "", ""));
    };

    private void asRoot() {
        answers.put("id -u", new CommandResult(0, "0\n", ""));
    }

    @Test
    void notBeingRootIsTheReasonAndNothingIsTried() {
        answers.put("id -u", new CommandResult(0, "1000\n", ""));

        assertThat(HostSupport.whatIsMissing(scripted, PROBE))
                .hasValue("not running as root (id -u = 1000); workspace networks need root");
        assertThat(ran).containsExactly("id -u");
    }

    @Test
    void aMissingToolIsNamedWithItsPackage() {
        asRoot();
        answers.put("nft -V", new CommandResult(127, "", "cannot start nft"));

        assertThat(HostSupport.whatIsMissing(scripted, PROBE)).hasValue("'nft' is not installed (apt-get install nftables)");
    }

    @Test
    void aFailingNetnsAddGivesTheKernelsWords() {
        asRoot();
        answers.put("ip netns add", new CommandResult(1, "", "mount --make-shared /run/netns failed: Operation not permitted\n"));

        assertThat(HostSupport.whatIsMissing(scripted, PROBE))
                .hasValue("'ip netns add' failed: mount --make-shared /run/netns failed: Operation not permitted");
        assertThat(ran).doesNotContain("ip netns delete " + PROBE);
    }

    @Test
    void aFailingNftGivesItsWordsAndTheProbeNamespaceIsGone() {
        asRoot();
        answers.put("nft list tables", new CommandResult(1, "", "Operation not permitted\n"));

        assertThat(HostSupport.whatIsMissing(scripted, PROBE)).hasValue("'nft list tables' failed: Operation not permitted");
        assertThat(ran).contains("ip netns add " + PROBE, "ip netns delete " + PROBE);
    }

    @Test
    void aRootHostWithEverythingHasNothingMissing() {
        asRoot();

        assertThat(HostSupport.whatIsMissing(scripted, PROBE)).isEmpty();
    }
}
