package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Which addresses a route may lead to: the workspace ranges only, never the gateway's own host. */
class RouteGuardTest {
    private static final List<AddressRange> WORKSPACES = ranges("10.213.0.0/16", "fd00:213::/48");

    private static List<AddressRange> ranges(String... ranges) {
        return Arrays.stream(ranges).map(AddressRange::parse).toList();
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal); // literals only: nothing is resolved
    }

    private static String reason(RouteGuard guard, String address) throws Exception {
        RouteGuard.Refusal refusal = guard.refusal(ip(address));
        return refusal == null ? "admitted" : refusal.reason();
    }

    @Test
    void admitsAddressesInsideTheWorkspaceRanges() throws Exception {
        RouteGuard guard = RouteGuard.withAddresses(WORKSPACES, Set.of());

        assertThat(reason(guard, "10.213.4.2")).isEqualTo("admitted");
        assertThat(reason(guard, "fd00:213::7")).isEqualTo("admitted");
    }

    @Test
    void refusesAddressesOutsideTheWorkspaceRanges() throws Exception {
        RouteGuard guard = RouteGuard.withAddresses(WORKSPACES, Set.of());

        assertThat(reason(guard, "10.214.0.2")).isEqualTo(RouteGuard.Refusal.OUTSIDE_RANGES);
        assertThat(reason(guard, "192.0.2.10")).isEqualTo(RouteGuard.Refusal.OUTSIDE_RANGES);
        assertThat(guard.refusal(ip("192.0.2.10")).message()).contains("192.0.2.10").contains("10.213.0.0/16");
    }

    @Test
    void withoutRangesEveryRouteIsRefused() throws Exception {
        RouteGuard guard = RouteGuard.withAddresses(List.of(), Set.of());

        assertThat(reason(guard, "10.213.4.2")).isEqualTo(RouteGuard.Refusal.OUTSIDE_RANGES);
    }

    /** Issue 17 item 8: a route at loopback reached every port of the gateway host, the admin listener included. */
    @Test
    void refusesLoopbackUnlessALoopbackRangeIsNamed() throws Exception {
        RouteGuard production = RouteGuard.withAddresses(WORKSPACES, Set.of());
        RouteGuard everything = RouteGuard.withAddresses(ranges("0.0.0.0/0", "::/0"), Set.of());
        RouteGuard development = RouteGuard.withAddresses(ranges("127.0.0.0/8"), Set.of());

        for (String loopback : List.of("127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1")) {
            assertThat(reason(production, loopback)).as(loopback).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
            assertThat(reason(everything, loopback)).as("0.0.0.0/0 does not name loopback: " + loopback)
                    .isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        }
        assertThat(reason(development, "127.0.0.1")).isEqualTo("admitted");
        assertThat(reason(development, "::1")).as("::1 is not in 127.0.0.0/8").isEqualTo(RouteGuard.Refusal.OUTSIDE_RANGES);
    }

    @Test
    void refusesLinkLocalAndMetadataEvenInsideARange() throws Exception {
        RouteGuard guard = RouteGuard.withAddresses(ranges("0.0.0.0/0", "::/0", "169.254.0.0/16"), Set.of());

        assertThat(reason(guard, "169.254.169.254")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        assertThat(reason(guard, "fe80::1")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        assertThat(reason(guard, "0.0.0.0")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        assertThat(reason(guard, "::")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        assertThat(reason(guard, "224.0.0.1")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
    }

    /** The host end of a workspace's veth is in the workspace range, and it is the gateway's host. */
    @Test
    void refusesTheGatewayHostsOwnAddressesInsideTheRange() throws Exception {
        RouteGuard guard = RouteGuard.withAddresses(WORKSPACES, Set.of(ip("10.213.0.1")));

        assertThat(reason(guard, "10.213.0.1")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        assertThat(reason(guard, "10.213.0.2")).isEqualTo("admitted");
    }

    /** An agent adds a veth (and a host address) per workspace: the host's addresses are read again. */
    @Test
    void readsTheHostsAddressesAgainWhenTheyAreOlderThanASecond() throws Exception {
        List<InetAddress> host = new ArrayList<>();
        AtomicLong now = new AtomicLong();
        AtomicInteger reads = new AtomicInteger();
        RouteGuard guard = new RouteGuard(WORKSPACES, () -> {
            reads.incrementAndGet();
            return Set.copyOf(host);
        }, now::get, RouteGuard.RefusalCounter.NONE);

        assertThat(reason(guard, "10.213.0.5")).isEqualTo("admitted");
        host.add(ip("10.213.0.5"));
        now.addAndGet(500_000_000L);
        assertThat(reason(guard, "10.213.0.5")).as("within a second: the old list").isEqualTo("admitted");
        now.addAndGet(600_000_000L);
        assertThat(reason(guard, "10.213.0.5")).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
        assertThat(reads).hasValue(2);
    }

    @Test
    void theRunningGatewaysGuardKnowsThisHostsInterfaceAddresses() throws Exception {
        Set<InetAddress> addresses = RouteGuard.interfaceAddresses();
        InetAddress nonLoopback = addresses.stream()
                .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress()).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(nonLoopback != null, "this host has no address besides loopback");
        RouteGuard guard = RouteGuard.forHost(ranges("0.0.0.0/0", "::/0"), Set.of(), RouteGuard.RefusalCounter.NONE);

        assertThat(guard.refusal(nonLoopback)).as(nonLoopback.toString()).isNotNull()
                .extracting(RouteGuard.Refusal::reason).isEqualTo(RouteGuard.Refusal.GATEWAY_HOST);
    }

    @Test
    void aRefusedRouteIsCountedBySourceAndReason() throws Exception {
        List<String> counted = new ArrayList<>();
        RouteGuard guard = new RouteGuard(WORKSPACES, Set::of, System::nanoTime,
                (source, reason) -> counted.add(source + "/" + reason));

        assertThat(guard.admits(RouteGuard.STORE, "test", "ws1", ip("10.213.0.2"))).isTrue();
        assertThat(guard.admits(RouteGuard.STORE, "test", "ws2", ip("192.0.2.1"))).isFalse();
        assertThat(guard.admits(RouteGuard.ROUTE_FILE, "test", "ws3", ip("127.0.0.1"))).isFalse();

        assertThat(counted).containsExactly("store/outside_ranges", "route_file/gateway_host");
    }
}
