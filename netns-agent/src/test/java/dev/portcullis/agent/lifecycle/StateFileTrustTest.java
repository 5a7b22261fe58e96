package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The desired-state file is input, not truth: what it says about kernel names must match what the
 * agent derives itself, and its absence on a host full of the agent's networks is a lost file. In
 * both cases the agent refuses to start and changes nothing. Shaping is on, as in production.
 */
class StateFileTrustTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private TestHost host;
    private WorkspaceNetworks agent;

    @BeforeEach
    void prepare() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.40.0/29");
    }

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
    }

    private WorkspaceNetworks start(AgentConfig config) {
        WorkspaceNetworks networks = new WorkspaceNetworks(config, commands, new InMemoryRouteSink(), StepListener.NONE,
                Clock.systemUTC());
        networks.start();
        return networks;
    }

    private WorkspaceStatus createShaped(String id) {
        return agent.create(new WorkspaceSpec(WorkspaceId.of(id), "alice", "acme", Optional.empty(), 50));
    }

    private Path stateFile() {
        return host.stateDir().resolve("desired-state.json");
    }

    /** A link of the test's own, standing for the host's uplink: a dummy where the kernel has them, else a veth. */
    private String foreignLink() {
        String name = host.tag() + "up";
        if (!commands.run("ip", "link", "add", name, "type", "dummy").ok()) {
            commands.check("ip", "link", "add", name, "type", "veth", "peer", "name", host.tag() + "uq");
        }
        return name;
    }

    /** Everything the agent used to change on a link it was pointed at. */
    private String linkFacts(String link) {
        return commands.check("ip", "-4", "-o", "addr", "show", "dev", link).stdout()
                + commands.check("cat", "/proc/sys/net/ipv4/conf/" + link + "/forwarding",
                        "/proc/sys/net/ipv4/conf/" + link + "/rp_filter",
                        "/proc/sys/net/ipv6/conf/" + link + "/disable_ipv6").stdout()
                + commands.check("ip", "-o", "link", "show", "dev", link).stdout().replaceAll("qlen \\d+", "");
    }

    private String tableListing() {
        return commands.check("nft", "list", "table", "inet", host.tableName()).stdout();
    }

    @Test
    void refusesToStartWhenTheStateFileNamesALinkItDoesNotOwn() throws Exception {
        agent = start(host.config().build());
        String realLink = createShaped("ws1").desired().hostInterface();
        agent.close();
        String foreign = foreignLink();
        String foreignBefore = linkFacts(foreign);
        String tableBefore = tableListing();
        ObjectNode state = (ObjectNode) JSON.readTree(stateFile().toFile());
        ((ObjectNode) state.withArray("workspaces").get(0)).put("hostInterface", foreign);
        Files.write(stateFile(), JSON.writeValueAsBytes(state));

        assertThatThrownBy(() -> start(host.config().build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("hostInterface '" + foreign + "'")
                .hasMessageContaining("refusing to start");

        assertThat(linkFacts(foreign)).as("the foreign link is untouched").isEqualTo(foreignBefore);
        assertThat(host.links()).as("the workspace's real veth is not deleted as an orphan").contains(realLink);
        assertThat(host.namespaces()).containsExactly(host.namespacePrefix() + "ws1");
        assertThat(tableListing()).isEqualTo(tableBefore).doesNotContain(foreign);
        // Put the file right, so the after-each can remove what the test built.
        ((ObjectNode) state.withArray("workspaces").get(0)).put("hostInterface", realLink);
        Files.write(stateFile(), JSON.writeValueAsBytes(state));
        agent = start(host.config().build());
    }

    @Test
    void refusesToStartWhenTheStateFileHasASlotOutsideTheRange() throws Exception {
        agent = start(host.config().build());
        createShaped("ws1");
        agent.close();
        ObjectNode state = (ObjectNode) JSON.readTree(stateFile().toFile());
        ((ObjectNode) state.withArray("workspaces").get(0)).put("slot", 4); // a /29 has slots 0-3
        Files.write(stateFile(), JSON.writeValueAsBytes(state));

        assertThatThrownBy(() -> start(host.config().build()))
                .hasMessageContaining("slot 4 (expected: 0-3");
        ((ObjectNode) state.withArray("workspaces").get(0)).put("slot", 0);
        Files.write(stateFile(), JSON.writeValueAsBytes(state));
        agent = start(host.config().build());
    }

    @Test
    void aMissingStateFileOnAHostWithTheAgentsNetworksIsRefusedUntilTheOperatorAccepts() throws Exception {
        agent = start(host.config().build());
        createShaped("ws1");
        createShaped("ws2");
        agent.close();
        Files.delete(stateFile());
        String tableBefore = tableListing();

        assertThatThrownBy(() -> start(host.config().build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("desired-state.json is missing")
                .hasMessageContaining("namespace " + host.namespacePrefix() + "ws1")
                .hasMessageContaining("--accept-missing-state");
        assertThat(host.namespaces()).as("nothing deleted").hasSize(2);
        assertThat(host.links()).hasSize(2);
        assertThat(tableListing()).isEqualTo(tableBefore);
        assertThat(stateFile()).doesNotExist();

        agent = start(host.config().acceptMissingState(true).build());

        assertThat(host.namespaces()).as("the operator said: these are orphans").isEmpty();
        assertThat(host.links()).isEmpty();
        assertThat(stateFile()).exists();
    }

    @Test
    void aFirstStartOnAnEmptyHostWritesAnEmptyStateFile() {
        agent = start(host.config().build());

        assertThat(stateFile()).exists();
        assertThat(agent.list()).isEmpty();
    }

    @Test
    void theHostLinkIsNamedAfterTheSlotAndOnlyTheFewNamesDerivedFromSlotOrIdAreAccepted() {
        agent = start(host.config().build());
        WorkspaceStatus ws1 = createShaped("ws1");
        KernelNames names = new KernelNames(host.config().build());

        assertThat(ws1.desired().hostInterface()).isEqualTo(names.slotInterface(ws1.desired().slot()));
        assertThat(names.hostInterfaceCandidates(WorkspaceId.of("ws1"), ws1.desired().slot()))
                .as("its slot's name, then the hash names records from before slot names carry")
                .startsWith(ws1.desired().hostInterface()).hasSize(5)
                .allSatisfy(c -> assertThat(names.isOwnInterface(c)).isTrue());
    }

    /** Another slot's link is the agent's own, but another workspace's (or a spare's): as foreign as the uplink. */
    @Test
    void refusesToStartWhenTheStateFileNamesAnotherSlotsLink() throws Exception {
        agent = start(host.config().build());
        WorkspaceStatus ws1 = createShaped("ws1");
        agent.close();
        String tableBefore = tableListing();
        String otherSlots = new KernelNames(host.config().build()).slotInterface((ws1.desired().slot() + 1) % 4);
        ObjectNode state = (ObjectNode) JSON.readTree(stateFile().toFile());
        ObjectNode first = (ObjectNode) state.withArray("workspaces").get(0);
        first.put("hostInterface", otherSlots);
        Files.write(stateFile(), JSON.writeValueAsBytes(state));

        assertThatThrownBy(() -> start(host.config().build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("workspace ws1 has hostInterface '" + otherSlots + "'")
                .hasMessageContaining("refusing to start");

        assertThat(host.links()).as("nothing deleted or made").containsExactly(ws1.desired().hostInterface());
        assertThat(tableListing()).isEqualTo(tableBefore);
        first.put("hostInterface", ws1.desired().hostInterface());
        Files.write(stateFile(), JSON.writeValueAsBytes(state));
        agent = start(host.config().build());
        assertThat(agent.inspect(WorkspaceId.of("ws1")).actual().problems()).isEmpty();
    }
}
