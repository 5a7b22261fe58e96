package dev.portcullis.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.GatewayRouteSettings;
import dev.portcullis.agent.route.FileRouteSink;
import dev.portcullis.agent.route.GatewayRouteSink;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.agent.route.StoreRouteSink;
import dev.portcullis.store.StoreSettings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteSinkSelectionTest {

    @TempDir
    Path dir;

    @Test
    void aStoreSectionPublishesToTheStore() throws Exception {
        Path file = dir.resolve("store.json");
        RouteSink sink = AgentDaemon.routeSink(AgentConfig.builder().store(StoreSettings.embedded(file)).build());

        assertThat(sink).isInstanceOf(StoreRouteSink.class);
        ((StoreRouteSink) sink).close();
        assertThat(Files.exists(file)).as("the embedded store was opened at the configured path").isTrue();
    }

    @Test
    void aGatewaySectionPublishesThroughTheGatewayWithoutCallingItYet() {
        RouteSink sink = AgentDaemon.routeSink(AgentConfig.builder().hostName("host-1")
                .gatewayRoutes(GatewayRouteSettings.of(URI.create("http://127.0.0.1:1"), dir.resolve("token"))).build());

        assertThat(sink).isInstanceOf(GatewayRouteSink.class);
        assertThat(((GatewayRouteSink) sink).lease()).as("the lease comes with the first route").isZero();
        ((GatewayRouteSink) sink).close();
    }

    @Test
    void aRouteFileOrNothingKeepsTheEarlierSinks() {
        assertThat(AgentDaemon.routeSink(AgentConfig.builder().routeFile(dir.resolve("routes.json")).build()))
                .isInstanceOf(FileRouteSink.class);
        assertThat(AgentDaemon.routeSink(AgentConfig.builder().build())).isInstanceOf(InMemoryRouteSink.class);
    }
}
