package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
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
}
