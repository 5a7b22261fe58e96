package dev.portcullis.agent.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.HostService;
import dev.portcullis.agent.config.UplinkSettings;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateTest {

    private static final AgentConfig CONFIG = AgentConfig.builder()
            .tableName("pct_check")
            .addressRange(Ipv4Cidr.parse("10.213.40.0/24"))
            .gatewayAddresses(List.of(Ipv4Cidr.parse("10.213.41.1/32")))
            .hostServices(List.of(new HostService("udp", 53), new HostService("tcp", 53)))
            .build();
    private static final AgentConfig DUAL_STACK = AgentConfig.builder()
            .tableName("pct_check")
            .addressRange(Ipv4Cidr.parse("10.213.40.0/24"))
            .workspaceIpv6Prefix(Ipv6Cidr.parse("fd5e:7a31:c0de:40::/64"))
            .gatewayAddresses(List.of(Ipv4Cidr.parse("10.213.41.1/32")))
            .gatewayIpv6Addresses(List.of(Ipv6Cidr.parse("fd5e:7a31:c0de:41::1/128")))
            .build();
    /** With the host's uplink shared by weight, and IPv6 resolvers. */
    private static final AgentConfig UPLINK = AgentConfig.builder()
            .tableName("pct_check")
            .addressRange(Ipv4Cidr.parse("10.213.40.0/24"))
            .workspaceIpv6Prefix(Ipv6Cidr.parse("fd5e:7a31:c0de:40::/64"))
            .dnsIpv6Resolvers(List.of(Ipv6Cidr.parse("fd00:ec2::253/128")))
            .uplink(new UplinkSettings("eth0", 1000))
            .build();
    private static final List<WorkspaceRecord> WORKSPACES = List.of(
            new WorkspaceRecord(WorkspaceId.of("ws1"), "alice", "acme", 0, "pc0123456789", 0, Instant.EPOCH),
            new WorkspaceRecord(WorkspaceId.of("ws2"), "bob", "acme", 5, "pcabcdef0123", 0, Instant.EPOCH));

    @Test
    void rejectsAMissingPlaceholderValue() {
        Template template = new Template("t.nft", "table inet ${table} { }\n");

        assertThatThrownBy(() -> template.render(Map.of()))
                .hasMessage("t.nft: no value for [table] (expected: values for [table])");
    }

    @Test
    void rejectsAnUnknownPlaceholderValue() {
        Template template = new Template("t.nft", "table inet ${table} { }\n");

        assertThatThrownBy(() -> template.render(Map.of("table", "x", "tabel", "y")))
                .hasMessageContaining("unknown placeholders [tabel]");
    }

    @Test
    void rejectsAValueThatCouldStartANewStatement() {
        Template template = new Template("t.nft", "add element inet t s { ${elements} }\n");

        for (String bad : new String[] {"1.2.3.4 }; flush ruleset", "a\nflush ruleset", "x # y", "$(id)"}) {
            assertThatThrownBy(() -> template.render(Map.of("elements", bad))).as(bad)
                    .hasMessageContaining("expected: letters, digits");
        }
    }

    @Test
    void rejectsAMalformedPlaceholder() {
        assertThatThrownBy(() -> new Template("t.nft", "table inet ${Table} { }\n"))
                .hasMessageContaining("malformed placeholder");
    }

    @Test
    void everyTemplateOnTheClassPathLoadsWithItsPlaceholders() {
        assertThat(Template.load("table.nft").placeholders())
                .containsExactlyInAnyOrder("table", "workspace_range", "host_to_workspace_verdict");
        assertThat(Template.load("elements-add.nft").placeholders()).containsExactlyInAnyOrder("table", "set", "elements");
        assertThat(Template.load("elements-delete.nft").placeholders()).containsExactlyInAnyOrder("table", "set", "elements");
    }

    @Test
    void renderedWorkspaceElementsQuoteInterfaceNames() {
        String script = new Ruleset(CONFIG).addScript(new Ruleset(CONFIG).workspaceElements(WORKSPACES));

        assertThat(script).contains("add element inet pct_check ws_bindings { \"pc0123456789\" . 10.213.40.1, "
                + "\"pcabcdef0123\" . 10.213.40.11 }");
    }

    @Test
    void aDualStackHostAddsTheWorkspacesIpv6AddressAndBindingToo() {
        Ruleset ruleset = new Ruleset(DUAL_STACK);
        String script = ruleset.addScript(ruleset.workspaceElements(WORKSPACES));

        assertThat(script).contains("add element inet pct_check ws_bindings6 { \"pc0123456789\" . fd5e:7a31:c0de:40::3, "
                + "\"pcabcdef0123\" . fd5e:7a31:c0de:40::d }");
        assertThat(ruleset.tableScript(WORKSPACES)).contains("ws_range6 { fd5e:7a31:c0de:40::/64 }")
                .contains("gateway_addrs6 { fd5e:7a31:c0de:41::1/128 }");
        assertThat(new Ruleset(CONFIG).addScript(new Ruleset(CONFIG).workspaceElements(WORKSPACES))).doesNotContain("6 {");
    }

    @Test
    void withAnUplinkEveryWorkspaceMapsItsLinkToItsClassAndTheTableNamesTheUplink() {
        Ruleset ruleset = new Ruleset(UPLINK);

        assertThat(ruleset.addScript(ruleset.workspaceElements(WORKSPACES)))
                .contains("add element inet pct_check ws_uplink_classes { \"pc0123456789\" : 7063:10, "
                        + "\"pcabcdef0123\" : 7063:15 }");
        assertThat(ruleset.tableScript(WORKSPACES)).contains("uplink_ifaces { \"eth0\" }")
                .contains("dns_resolvers6 { fd00:ec2::253/128 }")
                .contains("oifname @uplink_ifaces meta priority set iifname map @ws_uplink_classes");
        assertThat(new Ruleset(CONFIG).addScript(new Ruleset(CONFIG).workspaceElements(WORKSPACES)))
                .as("without an uplink the map stays empty").doesNotContain("ws_uplink_classes");
    }

    @Test
    void everyRenderedUplinkTemplatePassesTheKernelsCheck() {
        passesTheKernelsCheck(UPLINK);
    }

    @Test
    void everyRenderedTemplatePassesTheKernelsCheck() {
        passesTheKernelsCheck(CONFIG);
    }

    @Test
    void everyRenderedDualStackTemplatePassesTheKernelsCheck() {
        passesTheKernelsCheck(DUAL_STACK);
    }

    private static void passesTheKernelsCheck(AgentConfig config) {
        RootNetworking.assumeAvailable();
        Ruleset ruleset = new Ruleset(config);
        Map<String, List<String>> elements = ruleset.workspaceElements(WORKSPACES);
        // One batch: the whole table, then a delete of the elements it just added. Nothing is applied (-c).
        String script = ruleset.tableScript(WORKSPACES) + ruleset.deleteScript(elements) + ruleset.addScript(elements);

        CommandResult check = new Nft(new ProcessCommandRunner()).check(script);

        assertThat(check.exitCode()).as(check.stderr() + "\n" + script).isZero();
        assertThat(new ProcessCommandRunner().run("nft", "list", "table", "inet", "pct_check").ok()).isFalse();
    }
}
