package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ShareLevel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Re-deciding open grants after a route change: a channel relayed to where its workspace no longer
 * is (another address, or its port now spoken to over TLS or no longer) is closed; one whose
 * workspace only changed in ways that keep it where it was stays open.
 */
class OpenGrantsTest {
    private static final int PORT = 3000;

    private final AtomicReference<RouteTable> routes = new AtomicReference<>();
    private final OpenGrants grants = new OpenGrants(routes::get,
            () -> AccessSnapshot.empty(OrgPolicy.builder(ShareLevel.ORGANIZATION).build()),
            new AuditLog(new GatewayMetrics()), Clock.systemUTC());

    @AfterEach
    void close() {
        grants.close();
    }

    private static WorkspaceRoute route(String address, Set<Integer> tlsPorts, Map<String, String> labels) throws Exception {
        return WorkspaceRoute.owned("ws42", InetAddress.getByName(address), true, tlsPorts, "alice", "acme", labels);
    }

    /** Alice's open channel to her workspace at {@code before}, after the route became {@code after}. */
    private EmbeddedChannel afterChange(WorkspaceRoute before, WorkspaceRoute after) {
        routes.set(RouteTable.of(List.of(before)));
        EmbeddedChannel channel = new EmbeddedChannel();
        grants.register(channel, alicesGrant(), before.address(), before.tlsPorts().contains(PORT));
        routes.set(RouteTable.of(List.of(after)));
        grants.revalidate();
        return channel;
    }

    private static OpenGrants.Grant alicesGrant() {
        return new OpenGrants.Grant(Principal.builder("alice").org("acme").build(), OpenGrants.noExpiry(), "ws42", PORT,
                "GET", "/");
    }

    @Test
    void aMoveBetweenTheRoutingAndTheGrantEndsTheChannelAtOnce() throws Exception {
        WorkspaceRoute routedTo = route("10.213.0.3", Set.of(), Map.of());
        routes.set(RouteTable.of(List.of(route("10.214.0.7", Set.of(), Map.of())))); // moved, re-decided before the grant
        EmbeddedChannel channel = new EmbeddedChannel();

        grants.register(channel, alicesGrant(), routedTo.address(), false);

        assertThat(channel.isOpen()).isFalse();
        assertThat(grants.size()).isZero();
    }

    @Test
    void aGrantToWhereTheWorkspaceStillIsStaysOpen() throws Exception {
        WorkspaceRoute route = route("10.213.0.3", Set.of(), Map.of());
        routes.set(RouteTable.of(List.of(route)));
        EmbeddedChannel channel = new EmbeddedChannel();

        grants.register(channel, alicesGrant(), route.address(), false);

        assertThat(channel.isOpen()).isTrue();
        assertThat(grants.size()).isEqualTo(1);
    }

    @Test
    void aWorkspaceMovedToAnotherAddressLosesItsOpenChannels() throws Exception {
        EmbeddedChannel channel = afterChange(route("10.213.0.3", Set.of(), Map.of()), route("10.214.0.7", Set.of(), Map.of()));

        assertThat(channel.isOpen()).isFalse();
        assertThat(grants.size()).isZero();
    }

    @Test
    void aPortThatNowSpeaksTlsLosesItsOpenChannels() throws Exception {
        EmbeddedChannel channel = afterChange(route("10.213.0.3", Set.of(), Map.of()), route("10.213.0.3", Set.of(PORT), Map.of()));

        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aChangeThatLeavesTheWorkspaceWhereItWasKeepsThem() throws Exception {
        // New labels and TLS on another port: this port is still reached the same way, at the same address.
        EmbeddedChannel channel = afterChange(route("10.213.0.3", Set.of(), Map.of()),
                route("10.213.0.3", Set.of(8443), Map.of("env", "dev")));

        assertThat(channel.isOpen()).isTrue();
        assertThat(grants.size()).isEqualTo(1);
    }
}
