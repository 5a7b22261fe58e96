package dev.portcullis.agent.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.agent.kernel.CommandResult;
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
        CommandResult id = COMMANDS.run("id", "-u");
        if (!id.ok() || !id.stdout().strip().equals("0")) {
            return "not running as root (id -u = " + id.stdout().strip() + ")";
        }
        for (String tool : new String[] {"ip", "nft", "tc"}) {
            if (COMMANDS.run(tool, "-V").exitCode() == 127) {
                return "'" + tool + "' is not installed (apt-get install nftables iproute2)";
            }
        }
        String probe = "pcprobe-" + ProcessHandle.current().pid();
        CommandResult add = COMMANDS.run("ip", "netns", "add", probe);
        if (!add.ok()) {
            return "'ip netns add' failed: " + add.stderr().strip();
        }
        COMMANDS.run("ip", "netns", "delete", probe);
        CommandResult nft = COMMANDS.run("nft", "list", "tables");
        if (!nft.ok()) {
            return "'nft list tables' failed: " + nft.stderr().strip();
        }
        return "";
    }
}
