package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WorkspaceLifecycleTest {

    private TestHost host;
    private InMemoryRouteSink routes;
    private WorkspaceNetworks agent;

    @BeforeEach
    void startAgent() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.16.0/29"); // four /31 slots
        routes = new InMemoryRouteSink();
        agent = start(host.config().build());
    }

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
    }

    private WorkspaceNetworks start(AgentConfig config) {
        WorkspaceNetworks networks = new WorkspaceNetworks(config, new ProcessCommandRunner(), routes, StepListener.NONE,
                Clock.systemUTC());
        networks.start();
        return networks;
    }

    static WorkspaceSpec spec(String id) {
        return new WorkspaceSpec(WorkspaceId.of(id), "alice", "acme", Optional.empty(), 0);
    }

    @Test
    void createBuildsEveryPartAndPublishesTheRoute() {
        WorkspaceStatus status = agent.create(spec("ws1"));

        assertThat(status.actual().problems()).isEmpty();
        assertThat(agent.inspect(WorkspaceId.of("ws1")).actual().problems()).as("read back from the kernel").isEmpty();
        assertThat(status.address()).isEqualTo("10.213.16.1");
        assertThat(status.hostAddress()).isEqualTo("10.213.16.0");
        assertThat(host.namespaces()).containsExactly(host.namespacePrefix() + "ws1");
        assertThat(host.links()).containsExactly(status.desired().hostInterface());
        assertThat(status.desired().hostInterface()).hasSizeLessThanOrEqualTo(15);
        assertThat(routes.published()).containsKey("ws1");
        assertThat(routes.published().get("ws1").address()).isEqualTo("10.213.16.1");
        assertThat(routes.published().get("ws1").owner()).isEqualTo("alice");
    }

    @Test
    void deleteLeavesNoNamespaceLinkElementOrRoute() {
        agent.create(spec("ws1"));

        agent.delete(WorkspaceId.of("ws1"));

        assertThat(host.namespaces()).isEmpty();
        assertThat(host.links()).isEmpty();
        assertThat(routes.published()).isEmpty();
        Map<String, List<String>> sets = new Nft(new ProcessCommandRunner())
                .setElements(Ruleset.FAMILY, host.tableName()).orElseThrow();
        Ruleset.WORKSPACE_SETS.forEach(set -> assertThat(sets.get(set)).as(set).isEmpty());
        assertThat(agent.list()).isEmpty();
    }

    @Test
    void perWorkspaceChangesDoNotAddRules() throws Exception {
        int before = ruleCount();
        agent.create(spec("ws1"));
        agent.create(spec("ws2"));

        assertThat(ruleCount()).isEqualTo(before).isPositive();
    }

    private int ruleCount() throws Exception {
        String json = new ProcessCommandRunner().check("nft", "-j", "list", "table", "inet", host.tableName()).stdout();
        int rules = 0;
        for (var item : new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("nftables")) {
            rules += item.has("rule") ? 1 : 0;
        }
        return rules;
    }

    @Test
    void neverGivesTwoWorkspacesOneAddressAcrossARestart() {
        String first = agent.create(spec("ws1")).address();
        String second = agent.create(spec("ws2")).address();
        agent.delete(WorkspaceId.of("ws1"));

        WorkspaceNetworks restarted = start(host.config().build());
        String third = restarted.create(spec("ws3")).address();
        String fourth = restarted.create(spec("ws4")).address();
        agent = restarted;

        assertThat(second).isNotEqualTo(first);
        assertThat(List.of(third, fourth)).doesNotContain(second).doesNotHaveDuplicates();
        assertThat(restarted.list()).extracting(WorkspaceStatus::address).doesNotHaveDuplicates().hasSize(3);
    }

    @Test
    void aRestartLeavesAWorkspaceNamedLikeTheStartUpProbeAlone() {
        String id = "probe-" + ProcessHandle.current().pid(); // what the start-up tc probe used to call its namespace
        agent.create(spec(id));
        String namespace = host.namespacePrefix() + id;
        ProcessCommandRunner commands = new ProcessCommandRunner();
        // Stands for the workspace's processes: only the namespace itself carries it, a rebuilt one does not.
        commands.check("ip", "-n", namespace, "addr", "add", "127.0.0.2/8", "dev", "lo");

        agent = start(host.config().build());

        assertThat(commands.check("ip", "-n", namespace, "-4", "addr", "show", "dev", "lo").stdout())
                .as("the same namespace, not a rebuilt one").contains("127.0.0.2/8");
    }

    @Test
    void repeatingACreateWithTheSameParametersChangesNothing() {
        WorkspaceStatus first = agent.create(spec("ws1"));

        WorkspaceStatus again = agent.create(spec("ws1"));

        assertThat(again.address()).isEqualTo(first.address());
        assertThat(again.desired()).isEqualTo(first.desired());
    }

    @Test
    void refusesACreateThatRepeatsAnIdWithOtherParameters() {
        WorkspaceStatus first = agent.create(spec("ws1"));

        assertThatThrownBy(() -> agent.create(new WorkspaceSpec(WorkspaceId.of("ws1"), "mallory", "acme", Optional.empty(), 0)))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("owner=alice")
                .satisfies(e -> assertThat(((RequestException) e).status()).isEqualTo(409));
        assertThat(agent.get(WorkspaceId.of("ws1")).desired()).isEqualTo(first.desired());
    }

    @Test
    void showsTheEffectiveEgressInGetAndInTheConflict() {
        agent.close();
        agent = start(host.config().defaultEgressMbit(100).build());
        agent.create(spec("ws1")); // asks for no limit: the agent's default applies

        WorkspaceStatus got = agent.get(WorkspaceId.of("ws1"));

        assertThat(got.egressMbit()).isEqualTo(100);
        assertThat(dev.portcullis.agent.api.ApiJson.Workspace.of(got).egressMbit()).as("what `agent get` shows").isEqualTo(100);
        assertThat(dev.portcullis.agent.api.ApiJson.Workspace.of(got).requestedEgressMbit()).isZero();
        assertThatThrownBy(() -> agent.create(new WorkspaceSpec(WorkspaceId.of("ws1"), "mallory", "acme", Optional.empty(), 0)))
                .hasMessageContaining("egressMbit=100 (the agent's default)");
    }

    @Test
    void refusesAnAddressOutsideTheRange() {
        assertThatThrownBy(() -> agent.create(new WorkspaceSpec(WorkspaceId.of("ws1"), "alice", "acme",
                Optional.of(Ipv4Address.parse("10.213.99.1")), 0)))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("10.213.99.1")
                .hasMessageContaining("10.213.16.0/29");
        assertThat(agent.list()).isEmpty();
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void givesARequestedFreeAddress() {
        WorkspaceStatus status = agent.create(new WorkspaceSpec(WorkspaceId.of("ws1"), "alice", "acme",
                Optional.of(Ipv4Address.parse("10.213.16.5")), 0));

        assertThat(status.address()).isEqualTo("10.213.16.5");
        assertThat(status.actual().inSync()).isTrue();
    }

    @Test
    void refusesACreateWhenTheRangeIsFull() {
        for (int i = 1; i <= 4; i++) {
            agent.create(spec("ws" + i));
        }

        assertThatThrownBy(() -> agent.create(spec("ws5")))
                .isInstanceOf(RequestException.class)
                .hasMessageContaining("is full");
        assertThat(host.namespaces()).hasSize(4);
    }

    @Test
    void setsTheSysctlsInsideTheNamespaceAndOnTheHostEndOnly() {
        ProcessCommandRunner commands = new ProcessCommandRunner();
        String hostAllBefore = commands.check("cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6").stdout().strip();
        String link = agent.create(spec("ws1")).desired().hostInterface();
        String ns = host.namespacePrefix() + "ws1";

        String inside = commands.check("ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/conf/all/rp_filter",
                "/proc/sys/net/ipv6/conf/all/disable_ipv6").stdout();
        String hostAll = commands.check("cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6").stdout();

        assertThat(inside.lines().toList()).containsExactly("1", "1");
        assertThat(commands.check("cat", "/proc/sys/net/ipv4/conf/" + link + "/forwarding").stdout().strip()).isEqualTo("1");
        assertThat(commands.check("cat", "/proc/sys/net/ipv4/conf/" + link + "/rp_filter").stdout().strip()).isEqualTo("1");
        assertThat(hostAll.strip()).as("the host's own setting is left alone").isEqualTo(hostAllBefore);
    }

    @Test
    void shapesEgressWithTheProbedQdisc() {
        agent.create(new WorkspaceSpec(WorkspaceId.of("ws1"), "alice", "acme", Optional.empty(), 50));

        WorkspaceStatus status = agent.inspect(WorkspaceId.of("ws1")); // what tc shows

        assertThat(agent.shapingMode()).isNotNull();
        assertThat(status.actual().egress()).isEqualTo(status.actual().expectedEgress());
        if (agent.shapingMode() != dev.portcullis.agent.shaping.ShapingMode.NONE) {
            assertThat(status.actual().egress()).contains("50Mbit");
        }
    }
}
