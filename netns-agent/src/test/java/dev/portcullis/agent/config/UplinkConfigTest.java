package dev.portcullis.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The {@code uplink:} section (the host's uplink shared by weight) and IPv6 {@code dnsResolvers}. */
class UplinkConfigTest {

    @Test
    void theUplinkIsNotSharedUnlessConfigured() throws Exception {
        assertThat(AgentConfigLoader.parse("agent.yaml", "hostName: h\n").uplink()).isEmpty();
    }

    @Test
    void readsTheUplinkSection() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                hostName: h
                uplink:
                  interface: eth0
                  rateMbit: 1000
                """);

        assertThat(config.uplink()).contains(new UplinkSettings("eth0", 1000, 1));
        assertThat(AgentConfigLoader.parse("agent.yaml", "uplink: {interface: ens5, rateMbit: 200, hostWeight: 4}\n")
                .uplink()).contains(new UplinkSettings("ens5", 200, 4));
    }

    @Test
    void namesFileLineAndKeyOfEveryBadUplinkValue() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                hostName: h
                uplink:
                  interface: "eth0; rm -rf /"
                  rateMbit: 1000
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:3: uplink.interface: 'eth0; rm -rf /' (expected: a link name of 1-15");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                uplink:
                  interface: eth0
                  rateMbit: 0
                """))
                .hasMessageStartingWith("agent.yaml:3: uplink.rateMbit: 0 (expected: 1-100000");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                uplink:
                  interface: eth0
                  rateMbit: 100
                  hostWeight: 101
                """))
                .hasMessageStartingWith("agent.yaml:4: uplink.hostWeight: 101 (expected: 1-100");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                uplink:
                  interface: eth0
                  rateMbit: fast
                """))
                .hasMessageStartingWith("agent.yaml:3: uplink.rateMbit: ");
    }

    @Test
    void namesAMissingOrUnknownUplinkKey() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                hostName: h
                uplink:
                  interface: eth0
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: uplink.rateMbit: missing");
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                uplink:
                  interface: eth0
                  rateMbit: 100
                  rate: 100
                """))
                .hasMessageStartingWith("agent.yaml:4: uplink.rate: unknown key");
    }

    @Test
    void refusesOneOfTheAgentsOwnLinksAsTheUplink() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                interfacePrefix: pc
                uplink: {interface: pc0873a92b55, rateMbit: 100}
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: uplink.interface: 'pc0873a92b55' is a name of this agent's own");
    }

    @Test
    void refusesARangeWithMoreSlotsThanAnUplinkHasClassIds() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                addressRange: 10.0.0.0/14
                uplink: {interface: eth0, rateMbit: 100}
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: uplink: set with addressRange 10.0.0.0/14, which has 131072 slots");
    }

    @Test
    void dnsResolversTakeBothFamilies() throws Exception {
        AgentConfig config = AgentConfigLoader.parse("agent.yaml", """
                dnsResolvers: [10.0.0.2/32, "fd00:ec2::253/128", "2001:db8::53"]
                """);

        assertThat(config.dnsResolvers()).containsExactly(Ipv4Cidr.parse("10.0.0.2/32"));
        assertThat(config.dnsIpv6Resolvers())
                .containsExactly(Ipv6Cidr.parse("fd00:ec2::253/128"), Ipv6Cidr.parse("2001:db8::53/128"));
    }

    @Test
    void namesFileLineAndKeyOfABadIpv6Resolver() {
        assertThatThrownBy(() -> AgentConfigLoader.parse("agent.yaml", """
                hostName: h
                dnsResolvers: ["fd00::zz"]
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml:2: dnsResolvers");
    }
}
