package dev.portcullis.policy.cli;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./portcullis policy ...}: check policy files and explain decisions (offline or by asking a
 * running gateway), apply policies, set port shares and list a workspace's ports through the gateway's admin API.
 */
@Command(name = "portcullis policy",
         mixinStandardHelpOptions = true,
         versionProvider = PolicyCli.Version.class,
         description = "Validate, apply and explain org port-sharing policies; share workspace ports.",
         subcommands = { ValidateCommand.class, ApplyCommand.class, ExplainCommand.class, ShareCommand.class, PortsCommand.class,
                         CommandLine.HelpCommand.class })
public final class PolicyCli implements Runnable {

    /** Exit code of {@code explain} when the request is denied (0 is allowed, 1 bad input, 2 bad usage). */
    public static final int EXIT_DENIED = 3;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI with its output sent to {@code out} and {@code err}; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        final CommandLine commandLine = new CommandLine(new PolicyCli());
        commandLine.setOut(out);
        commandLine.setErr(err);
        final int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The version Maven wrote into the jar, so that it is never out of step with the pom. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            final java.util.Properties properties = new java.util.Properties();
            try (var in = PolicyCli.class.getResourceAsStream(
                    "/META-INF/maven/dev.portcullis/portcullis-policy/pom.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] { "portcullis policy " + properties.getProperty("version", "(development build)") };
        }
    }

    @Override
    public void run() {
        // No subcommand: show what there is rather than doing nothing silently.
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: validate, apply, explain, share or ports");
    }
}
