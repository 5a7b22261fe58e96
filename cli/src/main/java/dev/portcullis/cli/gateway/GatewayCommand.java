package dev.portcullis.cli.gateway;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.RunningUntilStopped;
import dev.portcullis.config.ConfigException;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.config.GatewayConfigFile;
import dev.portcullis.gateway.server.GatewayServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code portcullis gateway --config FILE}: the gateway as deployed, configured by a YAML file. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run the gateway with a config file (see docs/configuration.md) until SIGTERM or Ctrl-C.")
public final class GatewayCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The gateway's YAML config file.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        GatewayConfig gatewayConfig;
        try {
            gatewayConfig = GatewayConfigFile.load(config);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("portcullis gateway: " + e.getMessage());
            return ExitCode.INVALID_FILE;
        }
        RunningUntilStopped running = new RunningUntilStopped();
        running.add(GatewayServer.start(gatewayConfig));
        running.await();
        return ExitCode.OK;
    }
}
