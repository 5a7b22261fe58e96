package dev.portcullis.agent.ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.UplinkSettings;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.agent.route.InMemoryRouteSink;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import dev.portcullis.policy.WorkspaceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrefixRegistryTest {

    @TempDir
    Path dir;

    private TestHost host;
    private WorkspaceNetworks agent;

    @AfterEach
    void cleanUp() {
        TestHost.cleanUp(host, agent);
    }

    private static AgentConfig config(Path registry, Path stateDir, String namespacePrefix, String interfacePrefix,
            String table) {
        return AgentConfig.builder().prefixRegistry(registry).stateDir(stateDir).namespacePrefix(namespacePrefix)
                .interfacePrefix(interfacePrefix).tableName(table).build();
    }

    @Test
    void aSecondAgentWhoseNamespacePrefixNestsInARunningAgentsIsRefusedAndTouchesNothing() throws Exception {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.44.0/29");
        agent = new WorkspaceNetworks(host.config().build(), new ProcessCommandRunner(), new InMemoryRouteSink(),
                StepListener.NONE, Clock.systemUTC());
        agent.start();
        // Workspace "b-x" of the first agent has the namespace "<prefix>b-x": to an agent with the
        // prefix "<prefix>b-" that is workspace "x", an orphan it would delete on every reconcile.
        agent.create(new WorkspaceSpec(WorkspaceId.of("b-x"), "alice", "acme", Optional.empty(), 50));
        AgentConfig nested = host.config().stateDir(dir.resolve("second")).namespacePrefix(host.namespacePrefix() + "b-")
                .interfacePrefix("r" + host.tag().substring(1)).tableName(host.tableName() + "b").build();

        assertThatThrownBy(() -> new WorkspaceNetworks(nested, new ProcessCommandRunner(), new InMemoryRouteSink(),
                StepListener.NONE, Clock.systemUTC()).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("namespacePrefix '" + host.namespacePrefix() + "b-' and '" + host.namespacePrefix()
                        + "' nest")
                .hasMessageContaining("pid " + ProcessHandle.current().pid());

        assertThat(host.namespaces()).containsExactly(host.namespacePrefix() + "b-x");
        assertThat(agent.reconcile().actions()).isEmpty();
    }

    @Test
    void refusesTheSameInterfacePrefixOrTableButAllowsSeparateNames() {
        try (PrefixRegistry first = PrefixRegistry.register(config(dir, dir.resolve("a"), "hr-", "hr", "hr"))) {
            assertThatThrownBy(() -> PrefixRegistry.register(config(dir, dir.resolve("b"), "hq-", "hr", "hq")))
                    .hasMessageContaining("interfacePrefix 'hr' is the same");
            assertThatThrownBy(() -> PrefixRegistry.register(config(dir, dir.resolve("b"), "hq-", "hq", "hr")))
                    .hasMessageContaining("table 'hr' is the same");
            assertThatThrownBy(() -> PrefixRegistry.register(config(dir, dir.resolve("b"), "h", "hq", "hq")))
                    .hasMessageContaining("nest");
            try (PrefixRegistry separate = PrefixRegistry.register(config(dir, dir.resolve("b"), "hq-", "hrx", "hq"))) {
                assertThat(separate.file()).exists();
            }
        }
        try (var files = listJson()) {
            assertThat(files).as("closed registrations leave nothing").isEmpty();
        }
    }

    @Test
    void refusesASecondAgentSharingTheSameUplink() {
        AgentConfig first = AgentConfig.builder().prefixRegistry(dir).stateDir(dir.resolve("a")).namespacePrefix("hr-")
                .interfacePrefix("hr").tableName("hr").uplink(new UplinkSettings("eth0", 1000)).build();
        try (PrefixRegistry registered = PrefixRegistry.register(first)) {
            assertThatThrownBy(() -> PrefixRegistry.register(AgentConfig.builder().prefixRegistry(dir)
                    .stateDir(dir.resolve("b")).namespacePrefix("hq-").interfacePrefix("hq").tableName("hq")
                    .uplink(new UplinkSettings("eth0", 500)).build()))
                    .hasMessageContaining("uplink 'eth0' is the same, and each agent would rebuild the other's tree");
            try (PrefixRegistry withoutUplink = PrefixRegistry.register(config(dir, dir.resolve("b"), "hq-", "hq", "hq"))) {
                assertThat(withoutUplink.file()).as("an agent that leaves the uplink alone may run beside it").exists();
            }
        }
    }

    @Test
    void anAgentOnTheSameStateDirectoryIsTheSameAgentRestarted() {
        PrefixRegistry first = PrefixRegistry.register(config(dir, dir.resolve("a"), "hr-", "hr", "hr"));
        PrefixRegistry restarted = PrefixRegistry.register(config(dir, dir.resolve("a"), "hr-", "hr", "hr"));

        first.close(); // the old instance going away must not remove the new one's claim

        assertThat(restarted.file()).exists();
        assertThatThrownBy(() -> PrefixRegistry.register(config(dir, dir.resolve("b"), "hr-b-", "hq", "hq")))
                .hasMessageContaining("nest");
        restarted.close();
    }

    @Test
    void anEntryOfAProcessThatIsGoneIsStaleAndRemoved() throws Exception {
        Path stale = dir.resolve("0123456789abcdef.json");
        Files.createDirectories(dir);
        Files.write(stale, new ObjectMapper().writeValueAsBytes(new PrefixRegistry.Entry("t", 2147483647L, "?",
                "/var/lib/gone", "hr-", "hr", "hr", null)));

        try (PrefixRegistry registered = PrefixRegistry.register(config(dir, dir.resolve("a"), "hr-b-", "hr", "hr"))) {
            assertThat(registered.file()).exists();
            assertThat(stale).doesNotExist();
        }
    }

    private java.util.stream.Stream<Path> listJson() {
        try {
            return Files.list(dir).filter(p -> p.toString().endsWith(".json"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
