package dev.portcullis.gateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the gateway-side subcommands of {@code ./portcullis} ({@code demo} lives in the demo module). */
@Command(name = "portcullis", mixinStandardHelpOptions = true,
        description = "The network edge for cloud developer environments.",
        subcommands = {GatewayCommand.class, TokenCommand.class})
public final class PortcullisGatewayCli {
    public static void main(String[] args) {
        int exitCode = new CommandLine(new PortcullisGatewayCli()).execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }
}
