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
 * Workspace networks made ahead of demand, each at a free slot: a create takes one and names it, the
 * background makes another, and what an agent killed at any point of that leaves is removed or
 * adopted at the next start. Like every reconcile test, without shaping and with a limit in both
 * directions (the second: not the agent's default, so a create changes the spare's limits).
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

    /** Every link index on the host: a link is the same link as long as its index lives. */
    private List<String> hostLinkIndexes() {
        return commands.check("ip", "-o", "link", "show").stdout().lines().map(l -> l.split(":", 2)[0].strip()).toList();
    }

    @Test
    void aCreateTakesASpareAndTheBackgroundMakesAnotherOne() throws IOException {
        agent = start();
        List<String> before = awaitSpares(agent);
        List<Object> spareInodes = List.of(inode(before.get(0)), inode(before.get(1)));
        await().atMost(MADE_AHEAD).until(() -> host.spareLinks().size() == 2);
        List<String> spareLinks = host.spareLinks();
        List<String> spareLinkIndexes = List.of(ifindex(spareLinks.get(0)), ifindex(spareLinks.get(1)));
        assertThat(spareLinks).as("each spare carries its slot's veth pair, named and addressed, host end down")
                .containsExactlyInAnyOrder(host.tag() + "-0", host.tag() + "-1").allSatisfy(link -> {
                    assertThat(Files.readString(Path.of("/sys/class/net", link, "operstate")).strip()).isEqualTo("down");
                    assertThat(commands.check("ip", "-4", "-o", "addr", "show", "dev", link).stdout()).contains("inet 10.213.24.");
                });

        WorkspaceStatus created = agent.create(shaped("ws1"));

        assertThat(created.actual().problems()).isEmpty();
        assertThat(agent.inspect(WS1).actual().problems()).as("read back from the kernel").isEmpty();
        assertThat(created.desired().slot()).as("the spare of the lowest slot").isZero();
        assertThat(created.address()).isEqualTo("10.213.24.1");
        assertThat(spareInodes).as("the workspace's namespace is one made ahead").contains(inode(host.namespacePrefix() + "ws1"));
        assertThat(host.links()).containsExactly(host.tag() + "-0");
        assertThat(spareLinkIndexes).as("the workspace's host end is the spare's, never renamed").contains(ifindex(host.tag() + "-0"));
        List<String> after = awaitSpares(agent);
        assertThat(after.stream().filter(before::contains)).as("the one not taken, and one made again in the background")
                .hasSize(1);
        await().atMost(MADE_AHEAD).untilAsserted(() -> assertThat(host.spareNamespaces())
                .as("the taken spare's old name is removed in the background").containsExactlyInAnyOrderElementsOf(after));
        await().atMost(MADE_AHEAD).until(() -> host.spareLinks().size() == 2);
        assertThat(host.spareLinks()).as("the new spare at the next free slot").containsExactlyInAnyOrder(
                host.tag() + "-1", host.tag() + "-2");
        assertThat(agent.reconcile().actions()).as("the pool's own spares and their links are no orphans").isEmpty();
        assertThat(host.spareNamespaces()).containsExactlyInAnyOrderElementsOf(after);
        assertThat(host.spareLinks()).hasSize(2);
    }

    /**
     * A requested address whose slot a spare holds gets that spare; one whose slot is free makes its
     * own network; a range whose free slots are all spares' still takes every create, to the last slot.
     */
    @Test
    void requestedAddressesAndAFullRangeGoThroughTheSparesThatHoldTheirSlots() {
        agent = start();
        awaitSpares(agent);
        await().atMost(MADE_AHEAD).until(() -> host.spareLinks().size() == 2);

        WorkspaceStatus atSpare = agent.create(new WorkspaceSpec(WorkspaceId.of("ws1"), "alice", "acme",
                Optional.of(dev.portcullis.agent.address.Ipv4Address.parse("10.213.24.3")), egressMbit, egressMbit));
        assertThat(atSpare.desired().slot()).isEqualTo(1);
        assertThat(atSpare.desired().hostInterface()).isEqualTo(host.tag() + "-1");
        for (String id : List.of("ws2", "ws3", "ws4")) {
            assertThat(agent.create(shaped(id)).actual().problems()).as(id).isEmpty();
        }
        assertThat(agent.list()).extracting(ws -> ws.desired().slot()).containsExactlyInAnyOrder(0, 1, 2, 3);
        for (String id : List.of("ws1", "ws2", "ws3", "ws4")) {
            assertThat(agent.inspect(WorkspaceId.of(id)).actual().problems()).as(id).isEmpty();
        }
        assertThatThrownBy(() -> agent.create(shaped("ws5"))).isInstanceOf(RequestException.class)
                .hasMessageContaining("is full");
        assertThat(host.spareNamespaces()).as("no slot left for a spare").isEmpty();

        int freed = agent.get(WorkspaceId.of("ws2")).desired().slot();
        agent.delete(WorkspaceId.of("ws2"));
        await().atMost(MADE_AHEAD).until(() -> agent.spareNamespaces().size() == 1);
        assertThat(host.spareLinks()).containsExactly(host.tag() + "-" + freed);
        assertThat(agent.create(shaped("ws5")).desired().slot()).as("the freed slot, through its new spare").isEqualTo(freed);
        assertThat(agent.inspect(WorkspaceId.of("ws5")).actual().problems()).isEmpty();
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
        List<String> leftIndexes = leftLinks.stream().map(link -> {
            try {
                return ifindex(link);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        killed.simulateKill();
        assertThat(host.spareNamespaces()).containsExactlyInAnyOrderElementsOf(left);

        agent = start();

        assertThat(host.spareNamespaces()).as("the killed agent's spares are gone").doesNotContainAnyElementsOf(left);
        await().atMost(MADE_AHEAD).untilAsserted(() -> assertThat(hostLinkIndexes())
                .as("their veth pairs went with them (the new spares' links have the same slots' names)")
                .doesNotContainAnyElementsOf(leftIndexes));
        List<String> fresh = awaitSpares(agent);
        assertThat(host.spareNamespaces()).containsExactlyInAnyOrderElementsOf(fresh);
    }

    /**
     * kill -9 while a create takes a spare: after the workspace is recorded at the spare's slot but
     * before its name is bound to the spare (the spare stays a spare, its link has the recorded name),
     * between that and setting the host end up (the workspace's network is complete but for a link
     * that is down), or after both, before the spare's old name is removed in the background (both
     * names are on one namespace). The next start removes the spare's name and completes the
     * workspace, in its own namespace either way; nothing is left after its delete.
     */
    @ParameterizedTest(name = "killed {0} the workspace's name")
    @ValueSource(strings = {"before", "between naming it and setting its link up, after", "after"})
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
                default -> operation.startsWith("set link " + host.tag() + "-");
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
