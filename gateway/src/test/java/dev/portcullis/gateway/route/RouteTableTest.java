package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    @Test
    void looksUpWorkspacesByIdAndAnswersNullForUnknownOnes() throws Exception {
        WorkspaceRoute route = new WorkspaceRoute("ws42", InetAddress.getByName("10.0.0.2"));
        RouteTable table = RouteTable.of(List.of(route));

        assertThat(table.lookup("ws42")).isEqualTo(route);
        assertThat(table.lookup("ws43")).isNull();
    }

    @Test
    void refusesTwoRoutesForOneWorkspace() throws Exception {
        List<WorkspaceRoute> routes = List.of(new WorkspaceRoute("ws42", InetAddress.getByName("10.0.0.2")),
                new WorkspaceRoute("ws42", InetAddress.getByName("10.0.0.3")));

        assertThatThrownBy(() -> RouteTable.of(routes)).hasMessageContaining("'ws42' has two routes");
    }

    @Test
    void refusesAnInvalidWorkspaceId() {
        assertThatThrownBy(() -> new WorkspaceRoute("WS42", InetAddress.getLoopbackAddress()))
                .hasMessageContaining("workspace id: \"WS42\"");
    }

    @Test
    void addressesOfRemovedMovedOrStoppedWorkspacesAreGoneUnlessStillUsed() throws Exception {
        InetAddress a = InetAddress.getByName("10.0.0.2");
        InetAddress b = InetAddress.getByName("10.0.0.4");
        InetAddress c = InetAddress.getByName("10.0.0.6");
        InetAddress d = InetAddress.getByName("10.0.0.8");
        RouteTable before = RouteTable.of(List.of(new WorkspaceRoute("removed", a), new WorkspaceRoute("moved", b),
                new WorkspaceRoute("stopping", c), new WorkspaceRoute("kept", d)));
        RouteTable after = RouteTable.of(List.of(new WorkspaceRoute("moved", c),
                new WorkspaceRoute("stopping", d, false, Set.of()), new WorkspaceRoute("kept", d)));

        assertThat(before.addressesGoneIn(after)).containsExactlyInAnyOrder(a, b);
    }
}
