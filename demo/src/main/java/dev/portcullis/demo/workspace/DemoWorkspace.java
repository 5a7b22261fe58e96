package dev.portcullis.demo.workspace;

import dev.portcullis.gateway.config.GatewayConfig;
import java.util.Optional;

/** Where the demo workspace app runs, and how the gateway is told to reach it. */
public interface DemoWorkspace extends AutoCloseable {

    /** The port the app listens on. */
    int port();

    /** For the welcome text: "inside network namespace pcdemo-demo at 10.213.255.1" or "on loopback: why". */
    String where();

    /** What was built for it (veth, nftables, tc), when anything was. */
    Optional<String> network();

    /** Adds the workspace's route to the gateway's config. */
    void routeTo(GatewayConfig.Builder config);

    /** Stops the app and removes what was built for it. */
    @Override
    void close();
}
