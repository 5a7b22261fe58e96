package dev.portcullis.agent.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class Ipv6AddressPlanTest {

    private static final Ipv6Cidr PREFIX = Ipv6Cidr.parse("fd5e:7a31:c0de:1::/64");

    @Test
    void everySlotGetsTheNextSlash127AfterTheSubnetRouterAnycastOne() {
        AddressPlan plan = new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31, Optional.of(PREFIX));

        AddressPlan.Ipv6Link first = plan.slot(0).ipv6().orElseThrow();
        assertThat(first.network()).hasToString("fd5e:7a31:c0de:1::2/127");
        assertThat(first.host()).hasToString("fd5e:7a31:c0de:1::2");
        assertThat(first.workspace()).hasToString("fd5e:7a31:c0de:1::3");
        assertThat(plan.slot(127).ipv6().orElseThrow().workspace()).hasToString("fd5e:7a31:c0de:1::101");
        assertThat(plan.slot(127).ipv6().orElseThrow().network().prefixLength()).isEqualTo(127);
    }

    @Test
    void anIpv4OnlyPlanHasNoIpv6Addresses() {
        assertThat(new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31).slot(3).ipv6()).isEmpty();
    }

    @Test
    void refusesAPrefixOutsideTheUniqueLocalRange() {
        for (String notUla : new String[] {"2001:db8:1:2::/64", "fc00:1:2:3::/64", "fe80::/64"}) {
            assertThatThrownBy(() -> new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31, Optional.of(Ipv6Cidr.parse(notUla))))
                    .as(notUla)
                    .hasMessageStartingWith("workspaceIpv6Prefix: " + notUla)
                    .hasMessageContaining("expected: a unique local /64 inside fd00::/8");
        }
    }

    @Test
    void refusesAPrefixThatIsNotASlash64() {
        assertThatThrownBy(() -> new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31,
                Optional.of(Ipv6Cidr.parse("fd5e:7a31:c0de::/48"))))
                .hasMessageStartingWith("workspaceIpv6Prefix: fd5e:7a31:c0de::/48 (expected: a unique local /64");
    }

    @Test
    void rejectsHostBitsAndNamesTheNetwork() {
        assertThatThrownBy(() -> Ipv6Cidr.parse("fd5e:7a31:c0de:1::9/64"))
                .hasMessageContaining("fd5e:7a31:c0de:1::9/64 has host bits set (expected: fd5e:7a31:c0de:1::/64)");
    }

    @Test
    void rejectsAnythingButPlainIpv6Literals() {
        for (String bad : new String[] {"fd00::1::2", "fd00::g", "10.0.0.1", "[fd00::1]", "fd00::1%eth0", "localhost",
                "::ffff:10.0.0.1", "fd00::/129", "fd00::/-1", " fd00::1"}) {
            assertThatThrownBy(() -> Ipv6Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void printsTheFormIpAndNftPrint() {
        assertThat(Ipv6Address.parse("FD00:0EC2:0:0:0:0:0:0254")).hasToString("fd00:ec2::254");
        assertThat(Ipv6Address.parse("fd00:0:0:1:0:0:0:ffff").plus(1)).hasToString("fd00::1:0:0:1:0"); // the first of two equal zero runs, as RFC 5952 and inet_ntop
        assertThat(Ipv6Cidr.parse("fc00::/7").contains(Ipv6Address.parse("fd00:ec2::254"))).isTrue();
    }
}
