package dev.portcullis.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortRange;
import dev.portcullis.policy.PortRule;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.ShareLevel;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The port list of the admin API (and of {@code portcullis ports}): what each entry says. */
class PortListTest {
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private static final PolicyEvaluator ORG = new PolicyEvaluator(OrgPolicy.builder(ShareLevel.ORGANIZATION).org("acme")
            .addPortRule(new PortRule("databases", List.of(PortRange.of(5432)), ShareLevel.OWNER)).build());

    private static WorkspaceRoute route(Set<Integer> listening) throws Exception {
        return WorkspaceRoute.owned("ws42", InetAddress.getByAddress(new byte[] {10, 0, 0, 2}), true, Set.of(8443),
                "alice", "acme", Map.of()).withListeningPorts(listening);
    }

    @Test
    void listsListeningAndSharedPortsWithUrlProtocolAndEffectiveLevel() throws Exception {
        PortShares shares = PortShares.of(PortShare.of(3000, ShareLevel.PUBLIC), PortShare.of(5432, ShareLevel.ORGANIZATION),
                PortShare.of(9000, ShareLevel.ORGANIZATION));

        JsonNode list = PortList.of(route(Set.of(3000, 5432, 8443)), shares, ORG, "ws.example.com", NOW);

        assertThat(list.path("workspace").asText()).isEqualTo("ws42");
        assertThat(list.path("listeningKnown").asBoolean()).isTrue();
        assertThat(list.path("ports")).extracting(p -> p.path("port").asInt()).containsExactly(3000, 5432, 8443, 9000);
        JsonNode web = list.path("ports").get(0);
        assertThat(web.path("workspace").asText()).isEqualTo("ws42");
        assertThat(web.path("url").asText()).isEqualTo("https://3000-ws42.ws.example.com/");
        assertThat(web.path("protocol").asText()).isEqualTo("http");
        assertThat(web.path("shareLevel").asText()).isEqualTo("public");
        assertThat(web.path("effectiveLevel").asText()).as("the org allows at most organization").isEqualTo("organization");
        assertThat(web.path("listening").asBoolean()).isTrue();
        assertThat(list.path("ports").get(1).path("effectiveLevel").asText()).as("a port rule").isEqualTo("owner");
        assertThat(list.path("ports").get(2).path("protocol").asText()).as("the workspace serves TLS").isEqualTo("https");
        assertThat(list.path("ports").get(2).path("shareLevel").asText()).as("not shared").isEqualTo("owner");
        assertThat(list.path("ports").get(3).path("listening").asBoolean()).as("shared, nothing listens").isFalse();
    }

    @Test
    void whenNobodyReportsPortsOnlySharedOnesAreListedAndListeningIsUnknown() throws Exception {
        JsonNode list = PortList.of(route(null), PortShares.of(PortShare.of(3000, ShareLevel.ORGANIZATION)), ORG,
                "ws.example.com", NOW);

        assertThat(list.path("listeningKnown").asBoolean()).isFalse();
        assertThat(list.path("ports")).hasSize(1);
        assertThat(list.path("ports").get(0).path("listening").isNull()).isTrue();
    }

    @Test
    void anEndedShareCountsAsNotShared() throws Exception {
        PortShare ended = new PortShare(3000, ShareLevel.ORGANIZATION, Set.of(), Set.of(), NOW.minusSeconds(1));

        JsonNode list = PortList.of(route(Set.of(3000)), PortShares.of(ended), ORG, "ws.example.com", NOW);

        assertThat(list.path("ports").get(0).path("shareLevel").asText()).isEqualTo("owner");
    }
}
