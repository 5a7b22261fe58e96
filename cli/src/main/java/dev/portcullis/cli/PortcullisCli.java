package dev.portcullis.cli;

import dev.portcullis.cli.agent.AgentCommand;
import dev.portcullis.cli.config.ConfigCommand;
import dev.portcullis.cli.demo.DemoCommand;
import dev.portcullis.cli.gateway.GatewayCommand;
import dev.portcullis.cli.gateway.TokenCommand;
import dev.portcullis.cli.policy.PolicyCommand;
import dev.portcullis.cli.policy.PortsCommand;
import dev.portcullis.cli.policy.ShareCommand;
import dev.portcullis.gateway.server.GatewayServer;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code portcullis}: every command, with one exit-code table ({@link ExitCode}). The launchers
 * ({@code ./portcullis} in a source tree, {@code /usr/bin/portcullis} installed) run this class; the
 * bash/zsh completion and the man pages are generated from it at build time.
 */
@Command(name = "portcullis", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "The network edge for cloud developer environments.",
        exitCodeListHeading = "%nExit codes (every command):%n",
        exitCodeList = {
            "0:done",
            "1:failed while doing it (a port taken, a lock held, a missing key)",
            "2:bad command line",
            "3:policy explain: the request would be denied",
            "4:a file given is invalid (config, policy, shares); nothing started or changed",
            "5:the gateway's admin API or the agent's socket could not be reached",
            "6:the gateway or the agent refused"},
        subcommands = {GatewayCommand.class, AgentCommand.class, TokenCommand.class, PolicyCommand.class,
            ShareCommand.class, PortsCommand.class, ConfigCommand.class, DemoCommand.class,
            CommandLine.HelpCommand.class})
public final class PortcullisCli implements Runnable {
    private static final String LOGBACK_CONFIG = "logback.configurationFile";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        useTheGatewaysLogging();
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command with its output sent to {@code out} and {@code err}; returns its exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = commandLine();
        commandLine.setOut(out);
        commandLine.setErr(err);
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Every command, with their failures turned into the table's codes. */
    public static CommandLine commandLine() {
        return new CommandLine(new PortcullisCli())
                // A failure the operator can act on is one line on stderr, not a stack trace.
                .setExecutionExceptionHandler((e, cli, parsed) -> {
                    cli.getErr().println(cli.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                    return ExitCode.FAILED;
                });
    }

    /**
     * The gateway's and the agent's jars each carry a logback.xml; logback would pick one of them by
     * class path order and print a warning about the other. The gateway's is the more complete one
     * (queued access and audit lines): every command uses it unless the user chose another.
     */
    static void useTheGatewaysLogging() {
        if (System.getProperty(LOGBACK_CONFIG) != null) {
            return;
        }
        String location = GatewayServer.class.getProtectionDomain().getCodeSource().getLocation().toString();
        System.setProperty(LOGBACK_CONFIG, location.endsWith(".jar") ? "jar:" + location + "!/logback.xml"
                : location + "logback.xml");
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed (portcullis --help lists them)");
    }
}
