package dev.portcullis.agent.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AddressPlanTest {

    @Test
    void slashThirtyOneSlotsGiveTheHostTheEvenAddress() {
        AddressPlan plan = new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31);

        assertThat(plan.slotCount()).isEqualTo(128);
        assertThat(plan.slot(0).host()).hasToString("10.213.0.0");
        assertThat(plan.slot(0).workspace()).hasToString("10.213.0.1");
        assertThat(plan.slot(127).workspace()).hasToString("10.213.0.255");
    }

    @Test
    void slashThirtySlotsSkipNetworkAndBroadcast() {
        AddressPlan plan = new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 30);

        assertThat(plan.slotCount()).isEqualTo(64);
        assertThat(plan.slot(1).network()).hasToString("10.213.0.4/30");
        assertThat(plan.slot(1).host()).hasToString("10.213.0.5");
        assertThat(plan.slot(1).workspace()).hasToString("10.213.0.6");
    }

    @Test
    void findsTheSlotOfAWorkspaceAddressOnly() {
        AddressPlan plan = new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 31);

        assertThat(plan.slotOfWorkspaceAddress(Ipv4Address.parse("10.213.0.7"))).isEqualTo(3);
        assertThat(plan.slotOfWorkspaceAddress(Ipv4Address.parse("10.213.0.6"))).isEqualTo(-1);
        assertThat(plan.slotOfWorkspaceAddress(Ipv4Address.parse("10.214.0.7"))).isEqualTo(-1);
    }

    @Test
    void rejectsANetworkWithHostBitsAndNamesTheRightOne() {
        assertThatThrownBy(() -> Ipv4Cidr.parse("10.213.0.1/24"))
                .hasMessageContaining("10.213.0.1/24").hasMessageContaining("expected: 10.213.0.0/24");
    }

    @Test
    void rejectsMalformedAddresses() {
        for (String bad : new String[] {"10.213.0", "10.213.0.256", "010.1.1.1", "a.b.c.d", "10.0.0.1/33", " 10.0.0.1"}) {
            assertThatThrownBy(() -> Ipv4Cidr.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void rejectsSlotSizesOtherThanThirtyAndThirtyOne() {
        assertThatThrownBy(() -> new AddressPlan(Ipv4Cidr.parse("10.213.0.0/24"), 29))
                .hasMessage("slotPrefixLength: 29 (expected: 30 or 31)");
    }
}
