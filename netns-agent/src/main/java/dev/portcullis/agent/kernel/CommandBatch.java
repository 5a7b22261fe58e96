package dev.portcullis.agent.kernel;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Several {@code ip} or {@code tc} commands run by one process ({@code ip -batch -}): a fork and exec
 * costs a few milliseconds, the commands themselves far less. The tool stops at the first command that
 * fails and names its line; the failure names that command and carries the tool's message.
 */
public final class CommandBatch {

    private static final Pattern FAILED_LINE = Pattern.compile("Command failed -:(\\d+)");
    // The batch reader splits on blanks and treats quotes and '#' specially; our arguments never need them.
    private static final Pattern PLAIN_ARGUMENT = Pattern.compile("[A-Za-z0-9_.:/@-]+");

    private final CommandRunner runner;
    private final List<String> tool;
    private final List<List<String>> commands = new ArrayList<>();

    private CommandBatch(CommandRunner runner, List<String> tool) {
        this.runner = requireNonNull(runner, "runner");
        this.tool = List.copyOf(tool);
    }

    /**
     * {@code ip -batch -} in the host namespace (namespace null), or with {@code -n namespace} inside
     * one; {@code options} such as "-j" apply to every command.
     */
    public static CommandBatch ip(CommandRunner runner, String namespace, String... options) {
        List<String> tool = new ArrayList<>(List.of("ip"));
        if (namespace != null) {
            tool.add("-n");
            tool.add(namespace);
        }
        tool.addAll(List.of(options));
        return new CommandBatch(runner, tool);
    }

    /** {@code tc -batch -} in the host namespace (namespace null), or {@code tc -n namespace -batch -}. */
    public static CommandBatch tc(CommandRunner runner, String namespace) {
        return new CommandBatch(runner, namespace == null ? List.of("tc") : List.of("tc", "-n", namespace));
    }

    /** Adds one command, written as its arguments after the tool's name ("link", "set", "dev", "x", "up"). */
    public CommandBatch add(String... args) {
        for (String arg : args) {
            if (!PLAIN_ARGUMENT.matcher(arg).matches()) {
                throw new IllegalArgumentException("batch argument: '" + arg + "' (expected: letters, digits and _.:/@-)");
            }
        }
        commands.add(List.of(args));
        return this;
    }

    public boolean isEmpty() {
        return commands.isEmpty();
    }

    /** Runs the commands in order and stops at the first that fails, throwing with its line and message. */
    public CommandResult run() {
        CommandResult result = runner.run(argv(false), script());
        if (!result.ok()) {
            throw failure(result);
        }
        return result;
    }

    /**
     * Runs every command even after one failed ({@code -force}), for removals where each command stands
     * alone; the caller checks what is left and reports with {@link #failure}.
     */
    public CommandResult runAll() {
        return runner.run(argv(true), script());
    }

    public CommandFailedException failure(CommandResult result) {
        return new CommandFailedException(failureMessage(result), result);
    }

    private List<String> argv(boolean force) {
        List<String> argv = new ArrayList<>(tool);
        if (force) {
            argv.add("-force");
        }
        argv.add("-batch");
        argv.add("-");
        return argv;
    }

    private String script() {
        StringBuilder script = new StringBuilder();
        commands.forEach(command -> script.append(String.join(" ", command)).append('\n'));
        return script.toString();
    }

    /**
     * "'ip -n ns link set dev eth0 up' (line 3 of 4 in one 'ip -n ns -batch -') exited 1: Cannot find
     * device". Some errors (a bad argument) end the tool before it names the line: then every command
     * of the batch is listed.
     */
    String failureMessage(CommandResult result) {
        String tool = String.join(" ", this.tool);
        Matcher line = FAILED_LINE.matcher(result.stderr());
        String message = FAILED_LINE.matcher(result.stderr()).replaceAll("").strip().replaceAll("\\s*\n\\s*", "; ");
        int index = line.find() ? Integer.parseInt(line.group(1)) - 1 : -1;
        if (index >= 0 && index < commands.size()) {
            return "'" + tool + " " + String.join(" ", commands.get(index)) + "' (line " + (index + 1) + " of "
                    + commands.size() + " in one '" + tool + " -batch -') exited " + result.exitCode() + ": " + message;
        }
        List<String> numbered = new ArrayList<>();
        for (int i = 0; i < commands.size(); i++) {
            numbered.add((i + 1) + ") " + String.join(" ", commands.get(i)));
        }
        return "'" + tool + " -batch -' exited " + result.exitCode() + " in one of " + String.join(", ", numbered) + ": "
                + message;
    }
}
