package dev.portcullis.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
                shapeGatewayTraffic: true
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
        assertThat(config.defaultEgressMbit()).isEqualTo(200);
        assertThat(config.shapeGatewayTraffic()).isTrue();
    }

    @Test
    void ingressDefaultsToTheEgressDefaultUnlessSet() throws Exception {
        assertThat(AgentConfigLoader.parse("agent.yaml", "defaultEgressMbit: 100\n").defaultIngressMbit()).isEqualTo(100);
        assertThat(AgentConfigLoader.parse("agent.yaml", "defaultEgressMbit: 100\ndefaultIngressMbit: 0\n")
                .defaultIngressMbit()).isZero();
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "defaultEgressMbit: 100\ndefaultIngressMbit: -5\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: defaultIngressMbit: ")
                .hasMessageContaining("expected: 0-100000, 0 = unlimited");
    }

    @Test
    void spareNamespacesDefaultTo20AndAreBounded() throws Exception {
        assertThat(AgentConfigLoader.parse("agent.yaml", "hostName: h\n").spareNamespaces()).isEqualTo(20);
        assertThat(AgentConfigLoader.parse("agent.yaml", "spareNamespaces: 0\n").spareNamespaces()).isZero();
        for (String bad : List.of("-1", "65")) {
            assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "hostName: h\nspareNamespaces: " + bad + "\n"))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("agent.yaml:2: spareNamespaces: " + bad)
                    .hasMessageContaining("expected: 0-64");
        }
    }

    @Test
    void gatewayTrafficBypassesTheLimitsUnlessTheConfigSaysOtherwise() throws Exception {
        assertThat(AgentConfigLoader.parse("agent.yaml", "defaultEgressMbit: 100\n").shapeGatewayTraffic()).isFalse();
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "defaultEgressMbit: 100\nshapeGatewayTraffic: sometimes\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: shapeGatewayTraffic: ");
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
                .hasMessageStartingWith("agent.yaml:2: adressRange: unknown key (expected one of: [addressRange,");
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

    @Test
    void readsAnEtcdStoreSection() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                hostName: host-7
                store:
                  leaseTtlSeconds: 15
                  etcd:
                    endpoints: [http://10.0.0.1:2379, http://10.0.0.2:2379]
                    timeoutMillis: 2000
                """);

        assertThat(config.store()).hasValueSatisfying(store -> {
            assertThat(store.etcdEndpoints()).containsExactly("http://10.0.0.1:2379", "http://10.0.0.2:2379");
            assertThat(store.embeddedFile()).isEmpty();
            assertThat(store.leaseTtl()).isEqualTo(Duration.ofSeconds(15));
            assertThat(store.timeout()).isEqualTo(Duration.ofSeconds(2));
        });
    }

    @Test
    void readsAnEmbeddedStoreSection() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                store:
                  embedded: /var/lib/portcullis/store.json
                """);

        assertThat(config.store()).hasValueSatisfying(store -> {
            assertThat(store.embeddedFile()).contains(Path.of("/var/lib/portcullis/store.json"));
            assertThat(store.leaseTtl()).isEqualTo(dev.portcullis.store.StoreSettings.DEFAULT_LEASE_TTL);
        });
        assertThat(AgentConfigLoader.parse("agent.yaml", "hostName: h\n").store()).isEmpty();
    }

    @Test
    void namesFileLineAndKeyOfABadEtcdEndpoint() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                hostName: host-7
                store:
                  etcd:
                    endpoints: [etcd-1:2379]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:4: store.etcd.endpoints[0]: 'etcd-1:2379'")
                .hasMessageContaining("expected: an etcd client URL");
    }

    @Test
    void namesFileLineAndKeyOfAnUnknownStoreKey() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                store:
                  etcd:
                    endpoint: [http://10.0.0.1:2379]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessage("agent.yaml:3: store.etcd.endpoint: unknown key (expected one of: [auth, endpoints,"
                        + " timeoutMillis, tls])");
    }

    @Test
    void refusesAStoreThatIsBothEmbeddedAndEtcd() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                hostName: host-7
                store:
                  embedded: /var/lib/portcullis/store.json
                  etcd:
                    endpoints: [http://10.0.0.1:2379]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: store: both embedded and etcd");
    }

    @Test
    void refusesALeaseTtlTooShortForEtcd() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                store:
                  embedded: /var/lib/portcullis/store.json
                  leaseTtlSeconds: 1
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:3: store.leaseTtlSeconds: 1 (expected: 2-3600)");
    }

    @Test
    void refusesAStoreBesideARouteFile() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                routeFile: /var/lib/pc/routes.json
                store:
                  embedded: /var/lib/portcullis/store.json
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: store: set together with routeFile");
    }

    @Test
    void readsTheIpv6Keys() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                workspaceIpv6Prefix: fd5e:7a31:c0de:1::/64
                gatewayIpv6Addresses: [fd5e:7a31:c0de:9::5/128]
                blockedIpv6Destinations: [fd00:ec2::254/128]
                """);

        assertThat(config.ipv6()).isTrue();
        assertThat(config.addressPlan().slot(0).ipv6().orElseThrow().workspace()).hasToString("fd5e:7a31:c0de:1::3");
        assertThat(config.gatewayIpv6Addresses()).extracting(Object::toString).containsExactly("fd5e:7a31:c0de:9::5/128");
        assertThat(config.blockedIpv6Destinations()).extracting(Object::toString).containsExactly("fd00:ec2::254/128");
    }

    @Test
    void workspacesAreIpv4OnlyWithoutAPrefixAndBlockUniqueLocalAndNat64ByDefault() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", "hostName: h\n");

        assertThat(config.ipv6()).isFalse();
        assertThat(config.blockedIpv6Destinations()).extracting(Object::toString)
                .contains("fc00::/7", "fe80::/10", "64:ff9b::/96");
    }

    @Test
    void refusesAnIpv6PrefixThatIsNotAUniqueLocalSlash64AndNamesFileLineAndKey() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "hostName: h\nworkspaceIpv6Prefix: 2001:db8:1::/64\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: workspaceIpv6Prefix: 2001:db8:1::/64 (expected: a unique local /64");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "workspaceIpv6Prefix: fd5e:7a31:c0de::/56\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:1: workspaceIpv6Prefix: fd5e:7a31:c0de::/56 (expected: a unique local /64");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "workspaceIpv6Prefix: fd5e::zz/64\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:1: workspaceIpv6Prefix: address: 'fd5e::zz'");
    }

    @Test
    void refusesIpv6GatewaysInsideTheWorkspacePrefixOrWithoutOne() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml",
                "workspaceIpv6Prefix: fd5e:7a31:c0de:1::/64\ngatewayIpv6Addresses: [fd5e:7a31:c0de:1::8/128]\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: gatewayIpv6Addresses: fd5e:7a31:c0de:1::8/128 overlaps the workspace prefix");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", "gatewayIpv6Addresses: [fd5e:7a31:c0de:9::5/128]\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:1: gatewayIpv6Addresses: fd5e:7a31:c0de:9::5/128 is set without workspaceIpv6Prefix");
    }
}
