package dev.portcullis.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.config.ConfigException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The {@code routes.gateway} section: publishing through a gateway's host API. */
class GatewayRoutesConfigTest {

    @Test
    void readsTheGatewaySection() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                hostName: host-1
                routes:
                  gateway:
                    url: http://127.0.0.1:9090/
                    tokenFile: /etc/portcullis/host-1.token
                    leaseTtlSeconds: 15
                    timeoutMillis: 2000
                """);

        assertThat(config.gatewayRoutes()).hasValueSatisfying(gateway -> {
            assertThat(gateway.adminUrl()).isEqualTo(URI.create("http://127.0.0.1:9090"));
            assertThat(gateway.tokenFile()).isEqualTo(Path.of("/etc/portcullis/host-1.token"));
            assertThat(gateway.leaseTtl()).isEqualTo(Duration.ofSeconds(15));
            assertThat(gateway.timeout()).isEqualTo(Duration.ofSeconds(2));
        });
        assertThat(AgentConfigLoader.parse("agent.yaml", "hostName: h\n").gatewayRoutes()).isEmpty();
    }

    @Test
    void defaultsTheLeaseAndTimeout() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                routes:
                  gateway: {url: "http://127.0.0.1:9090", tokenFile: /etc/portcullis/host-1.token}
                """);

        assertThat(config.gatewayRoutes().orElseThrow().leaseTtl()).isEqualTo(GatewayRouteSettings.DEFAULT_LEASE_TTL);
        assertThat(config.gatewayRoutes().orElseThrow().timeout()).isEqualTo(GatewayRouteSettings.DEFAULT_TIMEOUT);
    }

    @Test
    void namesFileLineAndKeyOfABadUrl() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                hostName: host-1
                routes:
                  gateway:
                    tokenFile: /etc/portcullis/host-1.token
                    url: 127.0.0.1:9090
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:5: routes.gateway.url: '127.0.0.1:9090'");
    }

    @Test
    void namesFileLineAndKeyOfARelativeTokenFileAndABadTtl() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                routes:
                  gateway:
                    url: http://127.0.0.1:9090
                    tokenFile: host-1.token
                """))
                .hasMessageStartingWith("agent.yaml:4: routes.gateway.tokenFile: 'host-1.token' (expected: an absolute path)");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                routes:
                  gateway:
                    url: http://127.0.0.1:9090
                    tokenFile: /etc/portcullis/host-1.token
                    leaseTtlSeconds: 3600
                """))
                .hasMessageStartingWith("agent.yaml:5: routes.gateway.leaseTtlSeconds: 3600 (expected: 2-300)");
    }

    @Test
    void namesAMissingKeyAndAnUnknownOne() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                routes:
                  gateway:
                    url: http://127.0.0.1:9090
                """))
                .hasMessageStartingWith("agent.yaml:2: routes.gateway.tokenFile: missing");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                routes:
                  gateway:
                    url: http://127.0.0.1:9090
                    token: abc
                """))
                .hasMessage("agent.yaml:4: routes.gateway.token: unknown key (expected one of: [leaseTtlSeconds,"
                        + " timeoutMillis, tokenFile, url])");
    }

    @Test
    void refusesASecondPlaceToPublishRoutes() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                routeFile: /var/lib/pc/routes.json
                routes:
                  gateway:
                    url: http://127.0.0.1:9090
                    tokenFile: /etc/portcullis/host-1.token
                """))
                .hasMessageStartingWith("agent.yaml:3: routes.gateway: set together with routeFile");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                store:
                  embedded: /var/lib/portcullis/store.json
                routes:
                  gateway:
                    url: http://127.0.0.1:9090
                    tokenFile: /etc/portcullis/host-1.token
                """))
                .hasMessageStartingWith("agent.yaml:4: routes.gateway: set together with store");
    }
}
