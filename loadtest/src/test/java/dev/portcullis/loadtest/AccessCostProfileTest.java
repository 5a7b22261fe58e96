package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class AccessCostProfileTest {

    @Test
    void allocationsAreComparedPerRequestOnTheEventLoopBySite() {
        // open: 100 requests; access on: 200 requests (twice the throughput), same bytes per request
        // except a 24-byte verdict allocated per request by the access stage.
        List<String> open = List.of(
                "[gateway-io-1 tid=7];io/netty/Decoder.decode_[j];java.lang.String_[i] 10000",
                "[gateway-jwt-1 tid=9];dev/portcullis/gateway/auth/Verifier.verify_[j];byte[]_[i] 99999");
        List<String> access = List.of(
                "[gateway-io-1 tid=7];io/netty/Decoder.decode_[j];java.lang.String_[i] 20000",
                "[gateway-io-1 tid=7];dev/portcullis/gateway/proxy/RequestAccess.check_[j];"
                        + "dev/portcullis/gateway/proxy/RequestAccess.reuseAllow_[i];"
                        + "dev.portcullis.gateway.proxy.RequestAccess$Allowed_[i] 4800");

        AccessCostProfile.PerRequest openPerRequest = AccessCostProfile.perRequest(open, 100, true);
        AccessCostProfile.PerRequest accessPerRequest = AccessCostProfile.perRequest(access, 200, true);

        assertThat(openPerRequest.total()).as("other threads left out").isEqualTo(100.0);
        assertThat(accessPerRequest.total()).isEqualTo(124.0);
        List<AccessCostProfile.Difference> differences = AccessCostProfile.differences(openPerRequest, accessPerRequest);
        assertThat(differences.get(0).key()).as("the maker is the gateway's own frame: named once")
                .isEqualTo("dev.portcullis.gateway.proxy.RequestAccess$Allowed by dev/portcullis/gateway/proxy/RequestAccess.reuseAllow");
        assertThat(differences.get(0).added()).isEqualTo(24.0);
        assertThat(differences.get(1).added()).as("the decoder's strings: the same per request").isEqualTo(0.0);
    }

    @Test
    void cpuIsComparedPerMethodInclusiveCountingARecursiveMethodOnce() {
        List<String> open = List.of("[gateway-io-1 tid=7];a/Loop.run_[j];a/Decoder.decode_[j] 30000");
        List<String> access = List.of(
                "[gateway-io-1 tid=7];a/Loop.run_[j];a/Decoder.decode_[j] 30000",
                "[gateway-io-1 tid=7];a/Loop.run_[j];a/Access.check_[j];a/Access.check_[i];a/Map.get_[i] 1000");

        AccessCostProfile.PerRequest openPerRequest = AccessCostProfile.perRequest(open, 10, false);
        AccessCostProfile.PerRequest accessPerRequest = AccessCostProfile.perRequest(access, 10, false);

        assertThat(accessPerRequest.parts().get("a/Access.check")).isEqualTo(100.0);
        assertThat(accessPerRequest.parts().get("a/Loop.run")).isEqualTo(3100.0);
        assertThat(AccessCostProfile.table(openPerRequest, accessPerRequest, false, 3))
                .contains("ns per request: open 3000, access on 3100 (+100)")
                .contains("+100.0  a/Access.check");
    }

    @Test
    void aLambdaClassAndANativeLibraryCopyAreNamedTheSameInBothProcesses() {
        assertThat(AccessCostProfile.plain("a/Metrics$$Lambda.0x00000000893f3b88_[k]"))
                .isEqualTo(AccessCostProfile.plain("a/Metrics$$Lambda.0x0000000019369198_[i]"))
                .isEqualTo("a/Metrics$$Lambda");
        assertThat(AccessCostProfile.plain("/tmp/libnetty_tcnative_linux_x86_64846173216650347291.so (deleted)"))
                .isEqualTo(AccessCostProfile.plain("/tmp/libnetty_tcnative_linux_x86_648099836773205625570.so (deleted)"))
                .isEqualTo("/tmp/libnetty_tcnative_linux_x86_64.so (deleted)");
        assertThat(AccessCostProfile.perRequest(List.of("[gateway-io-1 tid=1];x.Y_[i] 5"), 2, true).total())
                .isCloseTo(2.5, within(1e-9));
    }
}
