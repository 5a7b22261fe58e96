package dev.portcullis.agent.lifecycle;

import static dev.portcullis.store.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.route.StoreRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.replica.StoreReplica;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real workspace network whose route goes to the store, as a gateway's replica sees it. */
class StoreRoutedWorkspaceTest {

    private static final Duration TTL = Duration.ofSeconds(2);

    private TestHost host;
    private EmbeddedStore store;
    private StoreReplica gateway;
    private WorkspaceNetworks agent;

    @BeforeEach
    void start() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.36.0/30");
        store = EmbeddedStore.inMemory();
        gateway = new StoreReplica(store, Duration.ofMillis(100), Clock.systemUTC()).start();
    }

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
        if (gateway != null) {
            gateway.close();
            store.close();
        }
    }

    private WorkspaceNetworks startAgent(StoreRouteSink routes) {
        WorkspaceNetworks networks = new WorkspaceNetworks(host.config().build(), new ProcessCommandRunner(), routes,
                StepListener.NONE, Clock.systemUTC());
        networks.start();
        return networks;
    }

    @Test
    void aCreatedWorkspaceIsRoutableAndADeletedOneIsNot() {
        agent = startAgent(new StoreRouteSink(new ControlPlaneStore(store), TTL));

        WorkspaceStatus status = agent.create(WorkspaceLifecycleTest.spec("ws1"));

        await("the route on the gateway", Duration.ofSeconds(5), () -> gateway.current().route("ws1") != null);
        assertThat(gateway.current().route("ws1").address()).isEqualTo(status.address());
        assertThat(gateway.current().route("ws1").owner()).isEqualTo("alice");

        agent.delete(WorkspaceId.of("ws1"));

        await("the route gone from the gateway", Duration.ofSeconds(5), () -> gateway.current().route("ws1") == null);
    }

    @Test
    void anAgentRestartedAfterACrashKeepsTheRouteAliveUnderItsNewLease() throws Exception {
        StoreRouteSink crashed = new StoreRouteSink(new ControlPlaneStore(store), TTL);
        agent = startAgent(crashed);
        agent.create(WorkspaceLifecycleTest.spec("ws1"));
        crashed.lease().abandon(); // the old process died: nobody keeps its lease alive

        // The new process reconciles at start and publishes the route again, under its own lease.
        agent = startAgent(new StoreRouteSink(new ControlPlaneStore(store), TTL));
        Thread.sleep(TTL.plusSeconds(1).toMillis()); // the old lease has expired by now

        assertThat(gateway.current().route("ws1")).as("the route moved to the new lease").isNotNull();
        assertThat(host.namespaces()).containsExactly(host.namespacePrefix() + "ws1");
    }
}
