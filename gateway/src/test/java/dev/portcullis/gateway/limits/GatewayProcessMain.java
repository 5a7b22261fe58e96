package dev.portcullis.gateway.limits;

import dev.portcullis.gateway.config.GatewayConfigFile;
import dev.portcullis.gateway.server.GatewayServer;
import java.nio.file.Path;

/**
 * A gateway in a process of its own, started from a config file, for the tests that need limits of
 * its own (a descriptor limit). What {@code portcullis gateway --config FILE} does, without the
 * {@code cli} module (which depends on the gateway). Runs until the test destroys the process.
 */
public final class GatewayProcessMain {
    private GatewayProcessMain() {}

    public static void main(String[] args) throws Exception {
        GatewayServer.start(GatewayConfigFile.load(Path.of(args[0])));
        Thread.currentThread().join();
    }
}
