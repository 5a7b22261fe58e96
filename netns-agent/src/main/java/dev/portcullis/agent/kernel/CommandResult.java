package dev.portcullis.agent.kernel;

/** Exit code and both outputs of one finished command. */
public record CommandResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
        return exitCode == 0;
    }
}
