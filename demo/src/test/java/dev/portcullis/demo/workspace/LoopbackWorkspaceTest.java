package dev.portcullis.demo.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.WorkspaceId;
import java.net.Socket;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoopbackWorkspaceTest {
    @Test
    void theRouteReportsTheAppsPortAsListeningSoTheConsoleListsItBeforeAnyShare() throws Exception {
        DemoWorkspaceSpec spec = new DemoWorkspaceSpec(WorkspaceId.of("loopback-ws"), "alice", "acme", 0);
        try (LoopbackWorkspace workspace = LoopbackWorkspace.start(Transport.best(), spec, "a test")) {
            WorkspaceRoute route = workspace.route();

            assertThat(route.listeningPorts()).isEqualTo(Set.of(workspace.port()));
            assertThat(route.mayServe(workspace.port() + 1)).as("no other loopback port is a workspace port").isFalse();
            try (Socket app = new Socket(route.address(), workspace.port())) {
                assertThat(app.isConnected()).as("the reported port is the app's").isTrue();
            }
        }
    }
}
