package dev.portcullis.cli.policy;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code portcullis policy ...}: check policy files and explain decisions (offline or by asking a
 * running gateway), and apply policies through the gateway's admin API.
 */
@Command(name = "policy",
         mixinStandardHelpOptions = true,
         description = "Validate, apply and explain org port-sharing policies.",
         subcommands = { ValidateCommand.class, ApplyCommand.class, ExplainCommand.class })
public final class PolicyCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // No subcommand: show what there is rather than doing nothing silently.
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: validate, apply or explain");
    }
}
