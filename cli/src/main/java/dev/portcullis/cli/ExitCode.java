package dev.portcullis.cli;

/**
 * The exit codes of every command, one table for all (docs/cli.md): the same failure exits with the
 * same code whichever command met it, so a script tests for a class of failure, not for a command.
 */
public final class ExitCode {
    /** Done: started and stopped cleanly, valid, applied, listed, allowed. */
    public static final int OK = 0;
    /** Anything else went wrong while doing it: a port taken, a lock held, a missing key, a kernel refusal. */
    public static final int FAILED = 1;
    /** The command line is wrong: an unknown or missing option, a value that is no id, level or duration (picocli's own code). */
    public static final int USAGE = 2;
    /** {@code policy explain}: the request would be denied. An answer, not a failure. */
    public static final int DENIED = 3;
    /** A file the command was given is invalid: a gateway or agent config, a policy or shares file. Nothing was started or changed. */
    public static final int INVALID_FILE = 4;
    /** The gateway's admin API or the agent's socket could not be reached. */
    public static final int UNREACHABLE = 5;
    /** The gateway or the agent answered and refused (its status and message on stderr). */
    public static final int REFUSED = 6;

    private ExitCode() {}
}
