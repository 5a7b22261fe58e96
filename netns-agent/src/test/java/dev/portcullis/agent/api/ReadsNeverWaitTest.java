package dev.portcullis.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.api.AgentClient;
import dev.portcullis.agent.api.AgentClient.Reply;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A create held inside the kernel (a latch in the command runner, not a sleep) must not hold up the
 * API: reads answer from memory, and writes to other workspaces go on.
 */
class ReadsNeverWaitTest {

    /** Bounds a request that should answer at once; only a request stuck behind the held create reaches it. */
    private static final long PROMPT_SECONDS = 20;

    /** Own threads: the common pool may have a single one on a small machine, taken by the held create. */
    private final java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newCachedThreadPool();
    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private TestHost host;
    private WorkspaceNetworks agent;
    private AgentApiServer server;

    /** Holds the making of one workspace's namespace until released (the agent's seam before a kernel change). */
    private static final class HeldCreate implements Consumer<String> {
        private final String namespace;
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        HeldCreate(String namespace) {
            this.namespace = namespace;
        }

        @Override
        public void accept(String operation) {
            // Made now, or a spare made ahead renamed to it (see SpareNamespaces).
            if (operation.equals("create network namespace " + namespace)
                    || operation.startsWith("name network namespace ") && operation.endsWith(" as " + namespace)) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @BeforeEach
    void prepare() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.48.0/29");
    }

    @AfterEach
    void cleanUp() {
        callers.shutdownNow();
        if (server != null) {
            server.close();
        }
        TestHost.cleanUp(host, agent);
        commands.close();
    }

    private static String workspace(String id) {
        return "{\"id\":\"" + id + "\",\"owner\":\"alice\",\"org\":\"acme\",\"egressMbit\":50}";
    }

    @Test
    void listGetAndStatusAnswerAndOtherWorkspacesAreWrittenWhileACreateIsHeld() throws Exception {
        HeldCreate gate = new HeldCreate(host.namespacePrefix() + "slow");
        agent = new WorkspaceNetworks(host.config().build(), commands, new InMemoryRouteSink(), StepListener.NONE,
                Clock.systemUTC());
        agent.beforeKernelChange(gate);
        agent.start();
        server = AgentApiServer.start(host.stateDir().resolve("api.sock"), new ApiHandler(agent));
        AgentClient client = new AgentClient(server.socket());
        assertThat(client.send("POST", "/v1/workspaces", workspace("ws1")).status()).isEqualTo(201);

        CompletableFuture<Reply> slow = CompletableFuture.supplyAsync(() -> send(client, "POST", "/v1/workspaces",
                workspace("slow")), callers);
        assertThat(gate.held.await(60, TimeUnit.SECONDS)).as("the slow create reached the kernel").isTrue();

        Reply list;
        Reply get;
        Reply status;
        Reply otherCreate;
        Reply otherDelete;
        try {
            list = prompt(client, "GET", "/v1/workspaces", null);
            get = prompt(client, "GET", "/v1/workspaces/ws1", null);
            status = prompt(client, "GET", "/v1/status", null);
            otherCreate = prompt(client, "POST", "/v1/workspaces", workspace("ws2"));
            otherDelete = prompt(client, "DELETE", "/v1/workspaces/ws1", null);
            assertThat(slow).as("the held create is still held").isNotDone();
        } finally {
            gate.release.countDown(); // a failed test must not leave the create (and the clean-up) waiting
        }

        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).contains("\"id\" : \"ws1\"").contains("\"id\" : \"slow\"");
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).contains("\"inSync\" : true");
        assertThat(status.status()).isEqualTo(200);
        assertThat(status.body()).contains("\"workspaces\" : 2");
        assertThat(otherCreate.status()).isEqualTo(201);
        assertThat(otherDelete.status()).isEqualTo(204);
        assertThat(slow.get(60, TimeUnit.SECONDS).status()).isEqualTo(201);
        assertThat(agent.inspect(dev.portcullis.policy.WorkspaceId.of("slow")).actual().problems()).isEmpty();
    }

    private Reply prompt(AgentClient client, String method, String path, String body) throws Exception {
        return CompletableFuture.supplyAsync(() -> send(client, method, path, body), callers)
                .get(PROMPT_SECONDS, TimeUnit.SECONDS);
    }

    private static Reply send(AgentClient client, String method, String path, String body) {
        try {
            return client.send(method, path, body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
