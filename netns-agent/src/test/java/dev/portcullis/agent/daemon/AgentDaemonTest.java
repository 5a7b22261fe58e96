package dev.portcullis.agent.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.api.AgentClient;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.policy.WorkspaceId;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentDaemonTest {

    @Test
    void periodicReconcileRepairsADeletedLinkWithoutBeingAsked() throws Exception {
        RootNetworking.assumeAvailable();
        try (TestHost host = new TestHost("10.213.30.0/30")) {
            AgentDaemon daemon = AgentDaemon.start(host.config().reconcileInterval(Duration.ofMillis(300)).build());
            try {
                AgentClient client = new AgentClient(host.stateDir().resolve("agent.sock"));
                client.send("POST", "/v1/workspaces", "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\"}");
                String link = daemon.agent().get(WorkspaceId.of("ws1")).desired().hostInterface();

                new ProcessCommandRunner().check("ip", "link", "delete", "dev", link);

                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(daemon.agent().inspect(WorkspaceId.of("ws1")).actual().problems()).isEmpty());
                assertThat(daemon.agent().status().lastReconcile()).isNotEqualTo("never");
            } finally {
                daemon.agent().removeEverything();
                daemon.close();
            }
        }
    }
}
