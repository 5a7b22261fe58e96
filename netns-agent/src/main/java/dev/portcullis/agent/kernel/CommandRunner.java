package dev.portcullis.agent.kernel;

import java.util.List;

/** Runs one host command (ip, nft, tc) to completion. One seam, so tests can count or fail calls. */
public interface CommandRunner {

    /** Runs {@code argv} with {@code stdin} (may be empty) and returns whatever it exited with. */
    CommandResult run(List<String> argv, String stdin);

    /** Runs and throws {@link CommandFailedException} unless the exit code is 0. */
    default CommandResult check(List<String> argv, String stdin) {
        CommandResult result = run(argv, stdin);
        if (result.exitCode() != 0) {
            throw new CommandFailedException(argv, result);
        }
        return result;
    }

    default CommandResult check(String... argv) {
        return check(List.of(argv), "");
    }

    default CommandResult check(List<String> argv) {
        return check(argv, "");
    }

    default CommandResult run(List<String> argv) {
        return run(argv, "");
    }

    default CommandResult run(String... argv) {
        return run(List.of(argv), "");
    }
}
