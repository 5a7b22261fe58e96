package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ShareLevel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Re-deciding open grants after a route change: a connection or stream relayed to where its
 * workspace no longer is (another address, or its port now spoken to over TLS or no longer) is
 * ended; one whose workspace only changed in ways that keep it where it was stays open. Each holder
 * of a grant is ended on its own, and forgotten once it closes.
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

    /** A connection or stream under a grant: it records its revocation, and closes when the test says. */
    private static final class Held implements Revocable {
        private final List<Runnable> onClose = new ArrayList<>();
        private String revokedFor;

        @Override
        public void revoke(String reason) {
            revokedFor = reason;
            close();
        }

        void close() {
            onClose.forEach(Runnable::run);
            onClose.clear();
        }

        boolean isOpen() {
            return revokedFor == null;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), 50000);
        }

        @Override
        public void whenClosed(Runnable whenClosed) {
            onClose.add(whenClosed);
        }
    }

    /** Alice's open connection to her workspace at {@code before}, after the route became {@code after}. */
    private Held afterChange(WorkspaceRoute before, WorkspaceRoute after) {
        routes.set(RouteTable.of(List.of(before)));
        Held channel = new Held();
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
        Held channel = new Held();

        grants.register(channel, alicesGrant(), routedTo.address(), false);

        assertThat(channel.isOpen()).isFalse();
        assertThat(grants.size()).isZero();
    }

    @Test
    void aGrantToWhereTheWorkspaceStillIsStaysOpen() throws Exception {
        WorkspaceRoute route = route("10.213.0.3", Set.of(), Map.of());
        routes.set(RouteTable.of(List.of(route)));
        Held channel = new Held();

        grants.register(channel, alicesGrant(), route.address(), false);

        assertThat(channel.isOpen()).isTrue();
        assertThat(grants.size()).isEqualTo(1);
    }

    @Test
    void aWorkspaceMovedToAnotherAddressLosesItsOpenChannels() throws Exception {
        Held channel = afterChange(route("10.213.0.3", Set.of(), Map.of()), route("10.214.0.7", Set.of(), Map.of()));

        assertThat(channel.isOpen()).isFalse();
        assertThat(grants.size()).isZero();
    }

    @Test
    void aPortThatNowSpeaksTlsLosesItsOpenChannels() throws Exception {
        Held channel = afterChange(route("10.213.0.3", Set.of(), Map.of()), route("10.213.0.3", Set.of(PORT), Map.of()));

        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aChangeThatLeavesTheWorkspaceWhereItWasKeepsThem() throws Exception {
        // New labels and TLS on another port: this port is still reached the same way, at the same address.
        Held channel = afterChange(route("10.213.0.3", Set.of(), Map.of()),
                route("10.213.0.3", Set.of(8443), Map.of("env", "dev")));

        assertThat(channel.isOpen()).isTrue();
        assertThat(grants.size()).isEqualTo(1);
    }

    @Test
    void aMovedWorkspaceEndsItsConnectionsWithTheReason() throws Exception {
        Held channel = afterChange(route("10.213.0.3", Set.of(), Map.of()), route("10.214.0.7", Set.of(), Map.of()));

        assertThat(channel.revokedFor).isEqualTo("workspace-moved");
    }

    @Test
    void eachHolderOfTheSameConnectionKeepsItsOwnGrant() throws Exception {
        WorkspaceRoute route = route("10.213.0.3", Set.of(), Map.of());
        routes.set(RouteTable.of(List.of(route)));
        Held first = new Held();
        Held second = new Held();
        grants.register(first, alicesGrant(), route.address(), false);
        grants.register(second, new OpenGrants.Grant(Principal.builder("bob").org("acme").build(),
                OpenGrants.noExpiry(), "ws42", PORT + 1, "GET", "/"), route.address(), false);

        assertThat(grants.size()).isEqualTo(2);
        assertThat(grants.open()).extracting(OpenGrants.Grant::port).containsExactlyInAnyOrder(PORT, PORT + 1);
    }

    @Test
    void aHolderThatClosedIsForgotten() throws Exception {
        WorkspaceRoute route = route("10.213.0.3", Set.of(), Map.of());
        routes.set(RouteTable.of(List.of(route)));
        Held stream = new Held();
        grants.register(stream, alicesGrant(), route.address(), false);

        stream.close();

        assertThat(grants.size()).isZero();
    }
}
