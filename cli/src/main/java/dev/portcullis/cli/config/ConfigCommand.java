package dev.portcullis.cli.config;

import dev.portcullis.cli.ExitCode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code portcullis config check FILE}: validates a gateway or agent config without starting anything. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Look at config files.",
        subcommands = ConfigCommand.Check.class)
public final class ConfigCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: check");
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a gateway or agent config file without starting anything; print every problem found"
                    + " (file:line: key: message). Exit 0: valid; 4: problems, or the file cannot be read; 2: usage.")
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The config file (gateway.yaml, agent.yaml).")
        Path file;

        @Option(names = "--kind", paramLabel = "gateway|agent",
                description = "Read the file as this kind of config. Default: told from its keys (listen, baseDomains:"
                        + " gateway; stateDir, addressRange: agent), else from its name.")
        String kind;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Optional<ConfigCheck.Kind> chosen = Optional.empty();
            if (kind != null) {
                try {
                    chosen = Optional.of(ConfigCheck.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    spec.commandLine().getErr().println("portcullis config check: --kind '" + kind + "' (expected: gateway or agent)");
                    return ExitCode.USAGE;
                }
            }
            ConfigCheck.Result result;
            try {
                result = ConfigCheck.check(file, chosen);
            } catch (ConfigCheck.Unreadable e) {
                out.println(e.getMessage());
                return ExitCode.INVALID_FILE;
            }
            result.lines().forEach(out::println);
            String kindName = result.kind().configName();
            if (result.valid()) {
                out.println(file + ": a valid " + kindName + " config");
                return ExitCode.OK;
            }
            out.println(file + ": " + result.problems().size() + " problem" + (result.problems().size() == 1 ? "" : "s")
                    + " in this " + kindName + " config");
            return ExitCode.INVALID_FILE;
        }
    }
}
