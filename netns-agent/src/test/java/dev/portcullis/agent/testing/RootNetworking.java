package dev.portcullis.agent.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.kernel.HostSupport;
import dev.portcullis.agent.kernel.ProcessCommandRunner;

/**
 * The gate of every test that needs the real kernel: root, a working `ip netns add`, nft and tc.
 * Anywhere else those tests are skipped, and the skip says which of these was missing.
 */
public final class RootNetworking {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();
    private static String missing;

    private RootNetworking() {}

    public static void assumeAvailable() {
        assumeTrue(whatIsMissing() == null, () -> "skipped, needs real host networking: " + whatIsMissing());
    }

    private static synchronized String whatIsMissing() {
        if (missing != null) {
            return missing.isEmpty() ? null : missing;
        }
        missing = probe();
        return missing.isEmpty() ? null : missing;
    }

    private static String probe() {
        return HostSupport.whatIsMissing(COMMANDS, "pcprobe-" + ProcessHandle.current().pid()).orElse("");
    }
}
