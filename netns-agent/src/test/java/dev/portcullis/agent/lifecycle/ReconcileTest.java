package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.policy.WorkspaceId;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every reconcile test runs twice: without shaping, and with a limit in both directions (the HTB
 * trees on eth0 in the namespace and on the host end are repaired too).
 */
@ParameterizedClass(name = "egressMbit={0}")
@ValueSource(ints = {0, 50})
class ReconcileTest {

    @Parameter
    int egressMbit;

    private static final WorkspaceId WS1 = WorkspaceId.of("ws1");

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private TestHost host;
    private InMemoryRouteSink routes;
    private WorkspaceNetworks agent;

    /** Stands for kill -9: an Error, so create's rollback (which catches exceptions) never runs. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(CreateStep step) {
            super("crash after " + step);
        }

        SimulatedCrash(List<String> argv) {
            super("crash at " + argv);
        }
    }

    @BeforeEach
    void prepare() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.20.0/29");
        routes = new InMemoryRouteSink();
    }

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
    }

    private WorkspaceSpec shaped(String id) {
        return new WorkspaceSpec(WorkspaceId.of(id), "alice", "acme", Optional.empty(), egressMbit, egressMbit);
    }

    private WorkspaceNetworks start(StepListener listener) {
        routes = new InMemoryRouteSink(); // what a restarted agent has: nothing in memory
        WorkspaceNetworks networks = new WorkspaceNetworks(host.config().build(), commands, routes, listener,
                Clock.systemUTC());
        networks.start();
        return networks;
    }

    /** Runs commands, except that one chosen thread waits inside its next command until released. */
    private static final class GatedCommands implements CommandRunner {
        private final CommandRunner commands;
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private volatile Thread gated;

        GatedCommands(CommandRunner commands) {
            this.commands = commands;
        }

        @Override
        public CommandResult run(List<String> argv, String stdin) {
            if (Thread.currentThread() == gated) {
                gated = null;
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return commands.run(argv, stdin);
        }
    }

    /** kill -9 in the middle of a delete: at its first set-element change, or at its first link or namespace change. */
    @ParameterizedTest(name = "crash at the first {0} change")
    @ValueSource(strings = {"nftables", "link or namespace"})
    void aDeleteInterruptedByACrashIsFinishedOnRestartNotUndone(String kind) {
        WorkspaceNetworks first = new WorkspaceNetworks(host.config().build(), commands, routes, StepListener.NONE,
                Clock.systemUTC());
        agent = first;
        first.start();
        String address = first.create(shaped("ws1")).address();
        first.create(shaped("ws2"));
        // Set elements, links and namespaces all change over netlink, in the agent itself: its seam crashes there.
        AtomicBoolean armed = new AtomicBoolean(true);
        Thread deleting = Thread.currentThread(); // not the spare pool's thread, which removes a taken spare's old name meanwhile
        first.beforeKernelChange(operation -> {
            boolean nftables = operation.startsWith("delete nftables elements");
            if (Thread.currentThread() == deleting && nftables == kind.equals("nftables") && armed.getAndSet(false)) {
                throw new SimulatedCrash(List.of(kind, operation));
            }
        });
        assertThatThrownBy(() -> first.delete(WS1)).isInstanceOf(SimulatedCrash.class);
        first.close();

        agent = start(StepListener.NONE);

        assertThat(agent.list()).extracting(ws -> ws.desired().id().value()).containsExactly("ws2");
        assertThat(host.namespaces()).containsExactly(host.namespacePrefix() + "ws2");
        assertThat(host.links()).hasSize(1);
        assertThat(routes.published()).as("the deleted workspace's route is not published again").containsOnlyKeys("ws2");
        assertThat(commands.check("nft", "list", "set", "inet", host.tableName(), "ws_addrs").stdout()).doesNotContain(address + ",")
                .doesNotContain(address + " ");
        assertThat(agent.create(shaped("ws3")).address()).as("the address is free again").isEqualTo(address);
    }

    @Test
    void createsAndDeletesGoOnWhileAReconcileLooksAtTheWorkspaces() throws Exception {
        GatedCommands gate = new GatedCommands(commands);
        agent = new WorkspaceNetworks(host.config().build(), gate, routes, StepListener.NONE, Clock.systemUTC());
        agent.start();
        agent.create(shaped("ws1"));
        AtomicReference<Reconciler.Report> report = new AtomicReference<>();
        Thread reconciling = new Thread(() -> report.set(agent.reconcile()), "portcullis-test-reconcile");
        gate.gated = reconciling;
        reconciling.start();
        gate.held.await(); // the pass is in its first look at the kernel

        // Each would wait for the pass to end if looking held the agent's lock: the test would fail here.
        CompletableFuture.runAsync(() -> {
            agent.create(shaped("ws2"));
            agent.delete(WS1);
        }).get(60, TimeUnit.SECONDS);
        gate.release.countDown();
        reconciling.join(TimeUnit.SECONDS.toMillis(60));

        assertThat(report.get().actions()).as("a workspace made or removed during the look is not repaired").isEmpty();
        assertThat(agent.list()).singleElement().satisfies(ws -> assertThat(agent.inspect(ws.desired().id()).actual().problems()).isEmpty());
        assertThat(host.links()).hasSize(1);
    }

    @Test
    void repairsADeletedLink() {
        agent = start(StepListener.NONE);
        String link = agent.create(shaped("ws1")).desired().hostInterface();
        commands.check("ip", "link", "delete", "dev", link);

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).anySatisfy(a -> assertThat(a).contains("repaired ws1").contains("host link missing"));
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
    }

    /** A host end set down leaves the workspace offline; a spare's host end waits down, so a create killed before its up leaves the same. */
    @Test
    void repairsAHostLinkSetDown() throws Exception {
        agent = start(StepListener.NONE);
        String link = agent.create(shaped("ws1")).desired().hostInterface();
        commands.check("ip", "link", "set", "dev", link, "down");
        assertThat(agent.inspect(WS1).actual().problems()).containsExactly("host link down");

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).anySatisfy(a -> assertThat(a).contains("repaired ws1").contains("host link down"));
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", link, "flags")).strip())
                .as("IFF_UP set again").satisfies(flags -> assertThat(Integer.decode(flags) & 1).isEqualTo(1));
    }

    @Test
    void rebuildsADeletedNamespace() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        commands.check("ip", "netns", "delete", host.namespacePrefix() + "ws1");

        agent.reconcile();

        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(host.links()).hasSize(1);
    }

    @Test
    void restoresAMissingSetElement() {
        agent = start(StepListener.NONE);
        String address = agent.create(shaped("ws1")).address();
        commands.check("nft", "delete", "element", "inet", host.tableName(), "ws_addrs", "{ " + address + " }");
        assertThat(agent.inspect(WS1).actual().problems()).containsExactly("nftables elements missing");

        agent.reconcile();

        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
    }

    @Test
    void removesAnOrphanNamespaceButNotOthers() {
        agent = start(StepListener.NONE);
        String orphan = host.namespacePrefix() + "ghost";
        String foreign = host.peerNamespacePrefix() + "keep";
        commands.check("ip", "netns", "add", orphan);
        commands.check("ip", "netns", "add", foreign);
        String staleProbe = host.namespacePrefix() + "_probe_2147483647"; // beyond pid_max: its agent is gone
        String liveProbe = host.namespacePrefix() + "_probe_" + ProcessHandle.current().pid();
        commands.check("ip", "netns", "add", staleProbe);
        commands.check("ip", "netns", "add", liveProbe);

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).contains("deleted orphan namespace " + orphan, "deleted stale probe namespace " + staleProbe);
        assertThat(commands.check("ip", "netns", "list").stdout()).doesNotContain(orphan).doesNotContain(staleProbe)
                .contains(foreign).contains(liveProbe);
    }

    /** The orphan elements go in one nf_tables transaction over netlink: no nft process changes the table. */
    @Test
    void removesOrphanSetElementsAndLinks() {
        List<List<String>> nftChanges = new java.util.concurrent.CopyOnWriteArrayList<>();
        CommandRunner recording = (argv, stdin) -> {
            if (argv.getFirst().equals("nft") && argv.contains("-f")) {
                nftChanges.add(argv);
            }
            return commands.run(argv, stdin);
        };
        agent = new WorkspaceNetworks(host.config().build(), recording, routes, StepListener.NONE, Clock.systemUTC());
        agent.start();
        agent.create(shaped("ws1"));
        String orphanLink = host.tag() + "0123456789";
        commands.check("ip", "link", "add", orphanLink, "type", "veth", "peer", "name", host.tag() + "peer");
        commands.check("nft", "add", "element", "inet", host.tableName(), "ws_ifaces", "{ \"" + orphanLink + "\" }");
        nftChanges.clear();

        assertThat(agent.reconcile().actions()).contains("deleted orphan elements of ws_ifaces: [" + orphanLink + "]");

        assertThat(nftChanges).as("no nft process changed the table").isEmpty();
        assertThat(host.links()).doesNotContain(orphanLink);
        assertThat(commands.check("nft", "list", "set", "inet", host.tableName(), "ws_ifaces").stdout())
                .doesNotContain(orphanLink);
        assertThat(agent.inspect(WS1).actual().inSync()).isTrue();
    }

    @Test
    void reloadsADeletedTableWithEveryWorkspace() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        commands.check("nft", "delete", "table", "inet", host.tableName());

        agent.reconcile();

        assertThat(host.tableExists()).isTrue();
        assertThat(agent.inspect(WS1).actual().inSync()).isTrue();
    }

    @Test
    void repairsTheHostEndsSysctls() {
        agent = start(StepListener.NONE);
        String link = agent.create(shaped("ws1")).desired().hostInterface();
        commands.check("sh", "-c", "echo 0 > /proc/sys/net/ipv4/conf/" + link + "/forwarding");

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).singleElement().asString()
                .contains("repaired ws1: host end sysctls wrong: net.ipv4.conf." + link + ".forwarding=0 (expected: 1)");
        assertThat(commands.check("cat", "/proc/sys/net/ipv4/conf/" + link + "/forwarding").stdout().strip()).isEqualTo("1");
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
    }

    @Test
    void aCreateAfterTheTableWasDeletedReloadsItAtOnce() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        commands.check("nft", "delete", "table", "inet", host.tableName());

        agent.create(shaped("ws2")); // not a failure until the next periodic pass

        assertThat(host.tableExists()).isTrue();
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(agent.inspect(WorkspaceId.of("ws2")).actual().problems()).isEmpty();
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void findsNothingToDoWhenEverythingIsInSync() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        agent.create(shaped("ws2"));

        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void replacesATableWhoseRulesWereChanged() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        commands.check("nft", "flush", "chain", "inet", host.tableName(), "workspace_in");

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).contains("table inet " + host.tableName() + " had been changed: reloaded");
        assertThat(commands.check("nft", "list", "chain", "inet", host.tableName(), "workspace_in").stdout())
                .contains("not from a gateway");
        assertThat(agent.inspect(WS1).actual().inSync()).isTrue();
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(CreateStep.class)
    void aCrashAfterAnyCreateStepIsCompletedOnRestartAndDeletesCleanly(CreateStep crashAfter) {
        WorkspaceNetworks crashing = start((step, id) -> {
            if (step == crashAfter) {
                throw new SimulatedCrash(step);
            }
        });
        assertThatThrownBy(() -> crashing.create(shaped("ws1"))).isInstanceOf(SimulatedCrash.class);
        crashing.simulateKill(); // a killed agent makes no more spares (its refill would race the test's cleanup)

        agent = start(StepListener.NONE);

        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(routes.published()).containsKey("ws1");
        agent.delete(WS1);
        assertThat(host.namespaces()).isEmpty();
        assertThat(host.links()).isEmpty();
        assertThat(routes.published()).isEmpty();
    }

    /**
     * Two creates at once share the state file's writes (group commit, no fsync before the kernel):
     * both crash (kill -9) right after their record is in the file; the restarted agent finds both
     * recorded, on different addresses, and completes both.
     */
    @Test
    void twoCreatesAtOnceThatCrashAfterTheirSaveAreBothCompletedOnRestart() throws Exception {
        java.util.concurrent.CyclicBarrier bothSaved = new java.util.concurrent.CyclicBarrier(2);
        WorkspaceNetworks crashing = start((step, id) -> {
            if (step == CreateStep.DESIRED_STATE_SAVED) {
                try {
                    bothSaved.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                throw new SimulatedCrash(step);
            }
        });
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit(() -> crashing.create(shaped("ws1")));
            var second = pool.submit(() -> crashing.create(shaped("ws2")));
            for (var create : List.of(first, second)) {
                assertThatThrownBy(create::get).hasCauseInstanceOf(SimulatedCrash.class);
            }
        } finally {
            pool.shutdownNow();
        }
        crashing.simulateKill();

        agent = start(StepListener.NONE);

        assertThat(agent.list()).extracting(ws -> ws.desired().id().value()).containsExactlyInAnyOrder("ws1", "ws2");
        assertThat(agent.list()).extracting(WorkspaceStatus::address).doesNotHaveDuplicates();
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(agent.inspect(WorkspaceId.of("ws2")).actual().problems()).isEmpty();
        assertThat(routes.published()).containsOnlyKeys("ws1", "ws2");
    }

    @Test
    void repeatingACreateWithTheSameParametersConverges() {
        agent = start(StepListener.NONE);
        WorkspaceStatus first = agent.create(shaped("ws1"));

        WorkspaceStatus again = agent.create(shaped("ws1"));

        assertThat(again.desired()).isEqualTo(first.desired());
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
    }

    @Test
    void repairsAnEgressLimitChangedBehindTheAgentsBack() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        String ns = host.namespacePrefix() + "ws1";
        if (egressMbit > 0) {
            commands.check("tc", "-n", ns, "class", "change", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb",
                    "rate", "10gbit", "ceil", "10gbit");
        } else {
            commands.check("tc", "-n", ns, "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "10");
            commands.check("tc", "-n", ns, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:10", "htb",
                    "rate", "10gbit");
        }
        assertThat(agent.inspect(WS1).actual().egress()).startsWith("htb 10Gbit");

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).singleElement().asString().startsWith("repaired ws1: egress is 'htb 10Gbit");
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        // The host is this test's gateway (allowHostToWorkspaces), so what goes to the host end is not held.
        assertThat(agent.inspect(WS1).actual().egress())
                .isEqualTo(egressMbit > 0 ? "htb 50Mbit unshaped dst 10.213.20.0/32" : "");
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void repairsAnIngressLimitChangedBehindTheAgentsBack() {
        agent = start(StepListener.NONE);
        WorkspaceStatus ws = agent.create(shaped("ws1"));
        String link = ws.desired().hostInterface();
        if (egressMbit > 0) {
            commands.check("tc", "class", "change", "dev", link, "parent", "1:", "classid", "1:10", "htb",
                    "rate", "10gbit", "ceil", "10gbit");
        } else {
            commands.check("tc", "qdisc", "add", "dev", link, "root", "handle", "1:", "htb", "default", "10");
            commands.check("tc", "class", "add", "dev", link, "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit");
        }
        assertThat(agent.inspect(WS1).actual().ingress()).startsWith("htb 10Gbit");

        Reconciler.Report report = agent.reconcile();

        assertThat(report.actions()).singleElement().asString().startsWith("repaired ws1: ingress is 'htb 10Gbit");
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(agent.inspect(WS1).actual().ingress())
                .isEqualTo(egressMbit > 0 ? "htb 50Mbit unshaped src 10.213.20.0/32" : "");
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void repairsTheGatewayExemptionRemovedBehindTheAgentsBack() {
        agent = start(StepListener.NONE);
        agent.create(shaped("ws1"));
        String ns = host.namespacePrefix() + "ws1";
        commands.run("tc", "-n", ns, "filter", "del", "dev", "eth0", "parent", "1:"); // nothing there without a limit

        Reconciler.Report report = agent.reconcile();

        if (egressMbit > 0) {
            assertThat(report.actions()).singleElement().asString()
                    .contains("egress is 'htb 50Mbit', expected 'htb 50Mbit unshaped dst 10.213.20.0/32'");
        } else {
            assertThat(report.actions()).isEmpty();
        }
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void aFailedCreateLeavesNothingAndFreesTheAddress() {
        WorkspaceNetworks failing = start((step, id) -> {
            if (step == CreateStep.WORKSPACE_SIDE_SET && id.equals(WS1)) {
                throw new IllegalStateException("injected failure");
            }
        });
        agent = failing;
        assertThatThrownBy(() -> failing.create(shaped("ws1"))).hasMessage("injected failure");

        assertThat(failing.list()).isEmpty();
        assertThat(host.namespaces()).isEmpty();
        assertThat(host.links()).isEmpty();
        // The failed create had the first slot (its spare's); asked for, it is free again.
        assertThat(failing.create(new WorkspaceSpec(WorkspaceId.of("ws2"), "alice", "acme",
                Optional.of(dev.portcullis.agent.address.Ipv4Address.parse("10.213.20.1")), egressMbit, egressMbit))
                .address()).isEqualTo("10.213.20.1");
        assertThat(failing.inspect(WorkspaceId.of("ws2")).actual().problems()).isEmpty();
        assertThat(List.copyOf(routes.published().keySet())).containsExactly("ws2");
    }
}
