package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.ReconcileTest.SimulatedCrash;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Namespaces made ahead of demand: a create takes one and renames it, the background makes another,
 * and what an agent killed at any point of that leaves is removed or adopted at the next start. Like
 * every reconcile test, without shaping and with a limit in both directions.
 */
@ParameterizedClass(name = "egressMbit={0}")
@ValueSource(ints = {0, 50})
class SpareNamespacesTest {

    private static final WorkspaceId WS1 = WorkspaceId.of("ws1");
    private static final Duration MADE_AHEAD = Duration.ofSeconds(20);

    @Parameter
    int egressMbit;

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private TestHost host;
    private InMemoryRouteSink routes;
    private WorkspaceNetworks agent;

    @BeforeEach
    void prepare() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.24.0/29");
    }

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
    }

    private WorkspaceNetworks start() {
        routes = new InMemoryRouteSink(); // what a restarted agent has: nothing in memory
        WorkspaceNetworks networks = new WorkspaceNetworks(host.config().build(), commands, routes, StepListener.NONE,
                Clock.systemUTC());
        networks.start();
        return networks;
    }

    private WorkspaceSpec shaped(String id) {
        return new WorkspaceSpec(WorkspaceId.of(id), "alice", "acme", Optional.empty(), egressMbit, egressMbit);
    }

    private static List<String> awaitSpares(WorkspaceNetworks networks) {
        await().atMost(MADE_AHEAD).until(() -> networks.spareNamespaces().size() == 2);
        return networks.spareNamespaces();
    }

    /** The kernel's identity of a namespace: the inode of its handle (the same under every name it has). */
    private static Object inode(String namespace) throws IOException {
        return Files.getAttribute(Path.of("/run/netns", namespace), "unix:ino");
    }

    /** A link's index in the host's namespace (the same under every name it is given). */
    private static String ifindex(String link) throws IOException {
        return Files.readString(Path.of("/sys/class/net", link, "ifindex")).strip();
    }

    @Test
    void aCreateTakesASpareAndTheBackgroundMakesAnotherOne() throws IOException {
        agent = start();
        List<String> before = awaitSpares(agent);
        List<Object> spareInodes = List.of(inode(before.get(0)), inode(before.get(1)));
        await().atMost(MADE_AHEAD).until(() -> host.spareLinks().size() == 2);
        List<String> spareLinks = host.spareLinks();
        List<String> spareLinkIndexes = List.of(ifindex(spareLinks.get(0)), ifindex(spareLinks.get(1)));
        assertThat(spareLinks).as("each spare carries its veth pair, host end down").allSatisfy(link ->
                assertThat(Files.readString(Path.of("/sys/class/net", link, "operstate")).strip()).isEqualTo("down"));

        assertThat(agent.create(shaped("ws1")).actual().problems()).isEmpty();

        assertThat(agent.inspect(WS1).actual().problems()).as("read back from the kernel").isEmpty();
        assertThat(spareInodes).as("the workspace's namespace is one made ahead").contains(inode(host.namespacePrefix() + "ws1"));
        assertThat(host.links()).hasSize(1);
        assertThat(spareLinkIndexes).as("the workspace's host end is the spare's, renamed").contains(ifindex(host.links().get(0)));
        List<String> after = awaitSpares(agent);
        assertThat(after.stream().filter(before::contains)).as("the one not taken, and one made again in the background")
                .hasSize(1);
        await().atMost(MADE_AHEAD).untilAsserted(() -> assertThat(host.spareNamespaces())
                .as("the taken spare's old name is removed in the background").containsExactlyInAnyOrderElementsOf(after));
        assertThat(agent.reconcile().actions()).as("the pool's own spares are no orphans").isEmpty();
        assertThat(host.spareNamespaces()).containsExactlyInAnyOrderElementsOf(after);
    }

    @Test
    void createsMakeTheirOwnNamespaceWhenNoSpareIsReady() {
        agent = start();
        awaitSpares(agent);
        for (String id : List.of("ws1", "ws2", "ws3", "ws4")) { // two take the spares, two find none ready (or the refill's)
            agent.create(shaped(id));
        }
        for (String id : List.of("ws1", "ws2", "ws3", "ws4")) {
            assertThat(agent.inspect(WorkspaceId.of(id)).actual().problems()).as(id).isEmpty();
        }
        assertThat(host.namespaces()).hasSize(4);
        agent.removeEverything();
        assertThat(host.namespaces()).isEmpty();
        assertThat(host.spareNamespaces()).as("removeEverything deletes the spares too").isEmpty();
    }

    @Test
    void sparesLeftByAKilledAgentAreRemovedAtTheNextStart() {
        WorkspaceNetworks killed = start();
        List<String> left = awaitSpares(killed);
        await().atMost(MADE_AHEAD).until(() -> host.spareLinks().size() == 2);
        List<String> leftLinks = host.spareLinks();
        killed.simulateKill();
        assertThat(host.spareNamespaces()).containsExactlyInAnyOrderElementsOf(left);

        agent = start();

        assertThat(host.spareNamespaces()).as("the killed agent's spares are gone").doesNotContainAnyElementsOf(left);
        await().atMost(MADE_AHEAD).untilAsserted(() -> assertThat(host.spareLinks())
                .as("their veth pairs went with them").doesNotContainAnyElementsOf(leftLinks));
        List<String> fresh = awaitSpares(agent);
        assertThat(host.spareNamespaces()).containsExactlyInAnyOrderElementsOf(fresh);
    }

    /**
     * kill -9 while a create renames a spare: before the workspace's name is bound to it (the spare
     * stays a spare), between that and renaming its veth pair's host end (the workspace's namespace
     * holds an eth0 whose peer still has the spare's link name), or after both, before the spare's old
     * name is removed in the background (both names are on one namespace). The next start removes the spare's name and completes the workspace, in
     * its own namespace either way; nothing is left after its delete.
     */
    @ParameterizedTest(name = "killed {0} the workspace's name")
    @ValueSource(strings = {"before", "between naming it and renaming its link, after", "after"})
    void aCreateKilledWhileTakingASpareIsCompletedOnRestartAndLeavesNothing(String when) throws IOException {
        WorkspaceNetworks killed = start();
        List<String> spares = awaitSpares(killed);
        boolean named = !when.equals("before");
        AtomicBoolean armed = new AtomicBoolean(true);
        killed.beforeKernelChange(operation -> {
            if (operation.startsWith("delete network namespace " + host.spareNamespacePrefix())) {
                throw new SimulatedCrash(List.of(operation)); // the background's removal of the old name never runs
            }
            boolean crashPoint = switch (when) {
                case "before" -> operation.startsWith("name network namespace " + host.spareNamespacePrefix());
                case "after" -> operation.startsWith("add nftables elements");
                default -> operation.startsWith("rename link " + host.tag() + "_");
            };
            if (crashPoint && armed.getAndSet(false)) {
                throw new SimulatedCrash(List.of(operation));
            }
        });
        assertThatThrownBy(() -> killed.create(shaped("ws1"))).isInstanceOf(SimulatedCrash.class);
        killed.simulateKill();
        assertThat(host.namespaces()).as("the workspace's name on the spare").isEqualTo(
                named ? List.of(host.namespacePrefix() + "ws1") : List.of());
        if (named) {
            Object adopted = inode(host.namespacePrefix() + "ws1");
            assertThat(spares.stream().filter(spare -> host.spareNamespaces().contains(spare)).map(spare -> {
                try {
                    return inode(spare);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            })).as("one namespace under both names").contains(adopted);
        }

        agent = start();

        assertThat(host.spareNamespaces()).as("no spare of the killed agent is left").doesNotContainAnyElementsOf(spares);
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(routes.published()).containsKey("ws1");
        agent.delete(WS1);
        assertThat(host.namespaces()).isEmpty();
        assertThat(host.links()).isEmpty();
        agent.removeEverything();
        assertThat(host.spareNamespaces()).isEmpty();
        assertThat(host.spareLinks()).as("removeEverything deletes the spares' pairs first").isEmpty();
    }

    /**
     * A handle with no namespace mounted on it (an agent killed between making the handle and
     * mounting on it): it cannot be entered, so the repair replaces it with a namespace.
     */
    @Test
    void repairsAWorkspaceWhoseNamespaceHandleIsHalfMade() {
        agent = start();
        agent.create(shaped("ws1"));
        String ns = host.namespacePrefix() + "ws1";
        commands.check("ip", "netns", "delete", ns);
        commands.check("touch", "/run/netns/" + ns);

        assertThat(agent.reconcile().actions()).anyMatch(action -> action.startsWith("repaired ws1"));

        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(commands.check("ip", "netns", "exec", ns, "ip", "-o", "link", "show", "eth0").stdout()).contains("eth0");
    }
}
