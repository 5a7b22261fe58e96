package dev.portcullis.cli.policy;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.policy.parse.PolicyError;
import dev.portcullis.policy.parse.PolicyParser;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code validate FILE...}: every error of every file, or OK. */
@Command(name = "validate",
         mixinStandardHelpOptions = true,
         description = {
                 "Check org policy and port share files (YAML or JSON; the kind field says which).",
                 "Prints FILE: OK, or every error as FILE:LINE:COLUMN: field.path: message.",
                 "Exit code: 0 when every file is valid, 4 otherwise." })
final class ValidateCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "policy or share files")
    private List<Path> files;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final PolicyParser parser = new PolicyParser();
        boolean valid = true;
        for (Path file : files) {
            final List<PolicyError> errors = parser.validate(file);
            if (errors.isEmpty()) {
                out.println(file + ": OK");
            } else {
                valid = false;
                errors.forEach(err::println);
                err.println(file + ": " + errors.size() + (errors.size() == 1 ? " error" : " errors"));
            }
        }
        return valid ? ExitCode.OK : ExitCode.INVALID_FILE;
    }
}
