package dev.portcullis.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentConfigLoaderTest {

    @Test
    void readsEveryKey() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                stateDir: /var/lib/pc
                socket: /run/pc/agent.sock
                namespacePrefix: ws-
                interfacePrefix: pw
                table: edge
                addressRange: 10.213.0.0/20
                slotPrefixLength: 30
                gatewayAddresses: [10.0.0.5/32]
                blockedDestinations: [169.254.0.0/16]
                hostServices: [udp/53, tcp/53]
                allowHostToWorkspaces: false
                globalForwarding: false
                defaultEgressMbit: 200
                reconcileIntervalSeconds: 15
                hostName: host-7
                routeFile: /var/lib/pc/routes.json
                """);

        assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/pc"));
        assertThat(config.addressPlan().slotCount()).isEqualTo(1024);
        assertThat(config.hostServices()).extracting(Object::toString).containsExactly("udp/53", "tcp/53");
        assertThat(config.reconcileInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.routeFile()).contains(Path.of("/var/lib/pc/routes.json"));
        assertThat(config.allowHostToWorkspaces()).isFalse();
    }

    @Test
    void namesFileLineAndKeyOfABadValue() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                stateDir: /var/lib/pc
                addressRange: 10.213.0.1/24
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: addressRange: ")
                .hasMessageContaining("expected: 10.213.0.0/24");
    }

    @Test
    void namesFileLineAndKeyOfAnUnknownKey() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                stateDir: /var/lib/pc
                adressRange: 10.213.0.0/24
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: adressRange: ")
                .hasMessageContaining("Unrecognized field");
    }

    @Test
    void namesTheKeyOfAWrongType() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                slotPrefixLength: many
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:1: slotPrefixLength: ");
    }

    @Test
    void namesTheLineOfACrossKeyProblem() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                addressRange: 10.213.0.0/24
                gatewayAddresses:
                  - 10.213.0.8/29
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: gatewayAddresses: 10.213.0.8/29 overlaps");
    }

    @Test
    void rejectsAnInterfacePrefixThatLeavesNoRoomForTheHash() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "interfacePrefix: portcullis\n"))
                .hasMessageStartingWith("agent.yaml:1: interfacePrefix: 'portcullis'");
    }
}
