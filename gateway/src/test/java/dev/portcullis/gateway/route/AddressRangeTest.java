package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;

class AddressRangeTest {

    private static boolean contains(String range, String address) {
        return AddressRange.parse(range).contains(NetUtil.createInetAddressFromIpAddressString(address));
    }

    @Test
    void containsExactlyTheAddressesOfItsPrefix() {
        assertThat(contains("10.213.0.0/16", "10.213.255.254")).isTrue();
        assertThat(contains("10.213.0.0/16", "10.214.0.1")).isFalse();
        assertThat(contains("10.213.4.0/22", "10.213.7.1")).isTrue();
        assertThat(contains("10.213.4.0/22", "10.213.8.1")).isFalse();
        assertThat(contains("127.0.0.1/32", "127.0.0.1")).isTrue();
        assertThat(contains("127.0.0.1/32", "127.0.0.2")).isFalse();
        assertThat(contains("0.0.0.0/0", "192.0.2.1")).isTrue();
        assertThat(contains("fd00:213::/48", "fd00:213:0:1::5")).isTrue();
        assertThat(contains("fd00:213::/48", "fd00:214::5")).isFalse();
        assertThat(contains("10.0.0.0/8", "::1")).as("another family").isFalse();
    }

    @Test
    void refusesNamesMissingPrefixesAndHostBits() {
        assertThatThrownBy(() -> AddressRange.parse("workspaces.internal/16")).hasMessageContaining("expected: a network");
        assertThatThrownBy(() -> AddressRange.parse("10.213.0.0")).hasMessageContaining("expected: a network");
        assertThatThrownBy(() -> AddressRange.parse("10.213.0.0/33")).hasMessageContaining("expected: a network");
        assertThatThrownBy(() -> AddressRange.parse("10.213.0.0/-1")).hasMessageContaining("expected: a network");
        assertThatThrownBy(() -> AddressRange.parse("10.213.0.1/16")).hasMessageContaining("expected: 10.213.0.0/16");
    }
}
