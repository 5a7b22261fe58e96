package dev.portcullis.gateway.cli;

import dev.portcullis.config.ConfigException;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.config.GatewayConfigFile;
import dev.portcullis.gateway.server.GatewayServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./portcullis gateway --config FILE}: the gateway as deployed, configured by a YAML file. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run the gateway with a config file (see docs/configuration.md).")
final class GatewayCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The gateway's YAML config file.")
    Path config;

    @Override
    public Integer call() throws Exception {
        GatewayConfig gatewayConfig;
        try {
            gatewayConfig = GatewayConfigFile.load(config);
        } catch (ConfigException e) {
            System.err.println("portcullis gateway: " + e.getMessage());
            return 2;
        }
        RunningUntilStopped running = new RunningUntilStopped();
        running.add(GatewayServer.start(gatewayConfig));
        running.await();
        return 0;
    }
}
