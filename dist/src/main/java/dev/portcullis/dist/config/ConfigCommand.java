package dev.portcullis.dist.config;

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
public final class ConfigCommand implements Callable<Integer> {
    /** The file is valid. */
    public static final int EXIT_VALID = 0;
    /** The file has problems (each printed with file, line and key), or cannot be read. */
    public static final int EXIT_PROBLEMS = 1;
    /** The command line is wrong (picocli's usage error). */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ConfigCommand()).execute(args));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return EXIT_USAGE;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a gateway or agent config file without starting anything; print every problem found"
                    + " (file:line: key: message). Exit 0: valid; 1: problems; 2: usage.")
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The config file (gateway.yaml, agent.yaml).")
        Path file;

        @Option(names = "--kind", paramLabel = "gateway|agent",
                description = "Read the file as this kind of config. Default: told from its keys (listen, baseDomains:"
                        + " gateway; stateDir, addressRange: agent), else from its name.")
        String kind;

        @Override
        public Integer call() {
            Optional<ConfigCheck.Kind> chosen = Optional.empty();
            if (kind != null) {
                try {
                    chosen = Optional.of(ConfigCheck.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    System.err.println("portcullis config check: --kind '" + kind + "' (expected: gateway or agent)");
                    return EXIT_USAGE;
                }
            }
            ConfigCheck.Result result;
            try {
                result = ConfigCheck.check(file, chosen);
            } catch (ConfigCheck.Unreadable e) {
                System.out.println(e.getMessage());
                return EXIT_PROBLEMS;
            }
            result.lines().forEach(System.out::println);
            String kindName = result.kind().configName();
            if (result.valid()) {
                System.out.println(file + ": a valid " + kindName + " config");
                return EXIT_VALID;
            }
            System.out.println(file + ": " + result.problems().size() + " problem" + (result.problems().size() == 1 ? "" : "s")
                    + " in this " + kindName + " config");
            return EXIT_PROBLEMS;
        }
    }
}
