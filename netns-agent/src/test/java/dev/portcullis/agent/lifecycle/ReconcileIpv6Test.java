package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.time.Clock;
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
 * The IPv6 half of {@link ReconcileTest} on a dual-stack host: each IPv6 part of a workspace removed
 * behind the agent's back is found and repaired, without shaping and with a limit in both directions.
 */
@ParameterizedClass(name = "egressMbit={0}")
@ValueSource(ints = {0, 50})
class ReconcileIpv6Test {

    @Parameter
    int egressMbit;

    private static final WorkspaceId WS1 = WorkspaceId.of("ws1");
    private static final Ipv6Cidr PREFIX = Ipv6Cidr.parse("fd3c:9b52:e1a0:21::/64");
    private static final String WORKSPACE = "fd3c:9b52:e1a0:21::3";
    private static final String HOST_END = "fd3c:9b52:e1a0:21::2";

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private TestHost host;
    private InMemoryRouteSink routes;
    private WorkspaceNetworks agent;

    @BeforeEach
    void prepare() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.21.0/29");
    }

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
    }

    private WorkspaceSpec shaped(String id) {
        return new WorkspaceSpec(WorkspaceId.of(id), "alice", "acme", Optional.empty(), egressMbit, egressMbit);
    }

    private WorkspaceNetworks start(boolean ipv6, StepListener listener) {
        routes = new InMemoryRouteSink();
        WorkspaceNetworks networks = new WorkspaceNetworks(
                host.config().workspaceIpv6Prefix(ipv6 ? PREFIX : null).build(), commands, routes, listener, Clock.systemUTC());
        networks.start();
        return networks;
    }

    private String namespace() {
        return host.namespacePrefix() + "ws1";
    }

    private String repairedBecause() {
        Reconciler.Report report = agent.reconcile();
        assertThat(report.actions()).hasSize(1);
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(agent.reconcile().actions()).as("converged in one pass").isEmpty();
        return report.actions().get(0);
    }

    @Test
    void aDualStackWorkspaceIsInSyncWithBothFamilies() {
        agent = start(true, StepListener.NONE);

        WorkspaceStatus ws = agent.create(shaped("ws1"));

        assertThat(ws.ipv6Address()).isEqualTo(WORKSPACE);
        assertThat(ws.ipv6HostAddress()).isEqualTo(HOST_END);
        assertThat(commands.check("ip", "-n", namespace(), "-6", "route", "show", "default").stdout()).contains("via " + HOST_END);
        assertThat(commands.check("ip", "-6", "addr", "show", "dev", ws.desired().hostInterface()).stdout())
                .contains(HOST_END + "/127");
        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void repairsARemovedWorkspaceIpv6Address() {
        agent = start(true, StepListener.NONE);
        agent.create(shaped("ws1"));
        commands.check("ip", "-n", namespace(), "addr", "del", WORKSPACE + "/127", "dev", "eth0");

        assertThat(repairedBecause()).contains("workspace address missing");
        assertThat(commands.check("ip", "-n", namespace(), "-6", "addr", "show", "dev", "eth0").stdout()).contains(WORKSPACE + "/127");
    }

    @Test
    void repairsARemovedHostEndIpv6Address() {
        agent = start(true, StepListener.NONE);
        String link = agent.create(shaped("ws1")).desired().hostInterface();
        commands.check("ip", "addr", "del", HOST_END + "/127", "dev", link);

        assertThat(repairedBecause()).contains("host address missing");
    }

    @Test
    void repairsARemovedIpv6DefaultRoute() {
        agent = start(true, StepListener.NONE);
        agent.create(shaped("ws1"));
        commands.check("ip", "-n", namespace(), "-6", "route", "del", "default");

        assertThat(repairedBecause()).contains("default route missing");
        assertThat(commands.check("ip", "-n", namespace(), "-6", "route", "show", "default").stdout()).contains("via " + HOST_END);
    }

    @Test
    void restoresAMissingIpv6Binding() {
        agent = start(true, StepListener.NONE);
        String link = agent.create(shaped("ws1")).desired().hostInterface();
        commands.check("nft", "delete", "element", "inet", host.tableName(), "ws_bindings6",
                "{ \"" + link + "\" . " + WORKSPACE + " }");

        assertThat(repairedBecause()).contains("nftables elements missing");
    }

    @Test
    void repairsIpv6SwitchedOffOnTheHostEnd() {
        agent = start(true, StepListener.NONE);
        String link = agent.create(shaped("ws1")).desired().hostInterface();
        commands.check("sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/" + link + "/disable_ipv6"); // takes the address too

        assertThat(repairedBecause()).contains("host address missing")
                .contains("net.ipv6.conf." + link + ".disable_ipv6=1 (expected: 0)");
    }

    @Test
    void repairsTheIpv6GatewayExemptionRemovedBehindTheAgentsBack() {
        agent = start(true, StepListener.NONE);
        agent.create(shaped("ws1"));
        if (egressMbit == 0) { // no limit: no HTB tree, so no filter of either family to lose
            assertThat(agent.inspect(WS1).actual().egress()).isEmpty();
            assertThat(agent.reconcile().actions()).isEmpty();
            return;
        }
        assertThat(agent.inspect(WS1).actual().egress()).isEqualTo("htb 50Mbit unshaped dst 10.213.21.0/32 " + HOST_END + "/128");
        commands.check("tc", "-n", namespace(), "filter", "del", "dev", "eth0", "parent", "1:", "prio", "2");

        assertThat(repairedBecause())
                .contains("egress is 'htb 50Mbit unshaped dst 10.213.21.0/32', expected 'htb 50Mbit unshaped dst 10.213.21.0/32 "
                        + HOST_END + "/128'");
    }

    @Test
    void givesIpv6ToWorkspacesMadeBeforeTheHostHadAPrefix() {
        WorkspaceNetworks ipv4Only = start(false, StepListener.NONE);
        ipv4Only.create(shaped("ws1"));
        ipv4Only.close();

        agent = start(true, StepListener.NONE); // the start-up pass repairs what the new config asks for

        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        assertThat(commands.check("ip", "-n", namespace(), "-6", "addr", "show", "dev", "eth0").stdout()).contains(WORKSPACE + "/127");
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(CreateStep.class)
    void aCrashAfterAnyCreateStepIsCompletedOnRestartAndDeletesCleanly(CreateStep crashAfter) {
        WorkspaceNetworks crashing = start(true, (step, id) -> {
            if (step == crashAfter) {
                throw new ReconcileTest.SimulatedCrash(step);
            }
        });
        assertThatThrownBy(() -> crashing.create(shaped("ws1"))).isInstanceOf(ReconcileTest.SimulatedCrash.class);

        agent = start(true, StepListener.NONE);

        assertThat(agent.inspect(WS1).actual().problems()).isEmpty();
        agent.delete(WS1);
        assertThat(host.namespaces()).isEmpty();
        assertThat(host.links()).isEmpty();
        assertThat(commands.check("nft", "list", "set", "inet", host.tableName(), "ws_addrs6").stdout()).doesNotContain(WORKSPACE);
    }
}
