package dev.portcullis.agent.kernel;

import java.util.List;

/** A host command exited non-zero; the message carries the command line and what it printed. */
public final class CommandFailedException extends RuntimeException {

    private final transient CommandResult result;

    public CommandFailedException(List<String> argv, CommandResult result) {
        this("'" + String.join(" ", argv) + "' exited " + result.exitCode() + ": " + result.stderr().strip(), result);
    }

    /** For a failure that needs its own words, such as one command of a batch. */
    public CommandFailedException(String message, CommandResult result) {
        super(message);
        this.result = result;
    }

    public CommandResult result() {
        return result;
    }
}
