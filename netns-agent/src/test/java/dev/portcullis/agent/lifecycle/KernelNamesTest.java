package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.policy.WorkspaceId;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelNamesTest {

    private final KernelNames names = new KernelNames(AgentConfig.builder().interfacePrefix("pcabc").build());

    @Test
    void aSlotsLinkNameFitsTheKernelLimitAndTheConfigRefusesARangeWhoseLastSlotWouldNot() {
        AgentConfig largest = AgentConfig.builder().interfacePrefix("pcabc")
                .addressRange(dev.portcullis.agent.address.Ipv4Cidr.parse("10.0.0.0/8")).build();
        String last = new KernelNames(largest).slotInterface(largest.addressPlan().slotCount() - 1);

        assertThat(last).isEqualTo("pcabc-8388607").hasSizeLessThanOrEqualTo(15);
        assertThatThrownBy(() -> AgentConfig.builder().interfacePrefix("pcabc")
                .addressRange(dev.portcullis.agent.address.Ipv4Cidr.parse("0.0.0.0/1")).build())
                .hasMessageContaining("addressRange").hasMessageContaining("longer than the kernel's 15 characters");
    }

    @Test
    void aWorkspacesLinkIsNamedAfterItsSlotAndRecordsFromBeforeKeepTheirHashNames() {
        WorkspaceId id = WorkspaceId.of("a".repeat(WorkspaceId.MAX_LENGTH));
        List<String> candidates = names.hostInterfaceCandidates(id, 42);

        assertThat(candidates.get(0)).isEqualTo(names.slotInterface(42)).isEqualTo("pcabc-42");
        assertThat(candidates.subList(1, candidates.size())).allSatisfy(hash ->
                assertThat(hash).hasSize(15).matches("pcabc[0-9a-f]{10}"));
        assertThat(names.hostInterfaceCandidates(id, 42)).as("the same for the same id and slot").isEqualTo(candidates);
        assertThat(names.hostInterfaceCandidates(id, 43)).doesNotContain("pcabc-42");
        assertThat(candidates).allSatisfy(name -> assertThat(names.isHostInterfaceOf(id, 42, name)).as(name).isTrue());
        assertThat(names.isHostInterfaceOf(id, 42, "pcabc-43")).as("another slot's link").isFalse();
        assertThat(names.isHostInterfaceOf(id, 42, "eth0")).isFalse();
        assertThat(names.isHostInterfaceOf(WorkspaceId.of("other"), 42, candidates.get(1))).as("another id's hash name")
                .isFalse();
    }

    @Test
    void claimsOnlyNamesItCouldHaveMade() {
        assertThat(names.isOwnInterface("pcabc0123456789")).isTrue();
        assertThat(names.isOwnInterface("pcabc-0")).isTrue();
        assertThat(names.isOwnInterface("pcabc-8388607")).isTrue();
        assertThat(names.isOwnInterface("pcabc012345678")).isFalse();
        assertThat(names.isOwnInterface("pcabc-017")).as("never a slot's name: no leading zero").isFalse();
        assertThat(names.isOwnInterface("pcabc-")).isFalse();
        assertThat(names.isOwnInterface("pcabc_5")).as("an older agent's spare link").isFalse();
        assertThat(names.isOwnInterface("pcabcd-5")).as("another prefix's slot link").isFalse();
        assertThat(names.isOwnInterface("pcabcpeer")).isFalse();
        assertThat(names.isOwnInterface("eth0")).isFalse();
        assertThat(names.workspaceOfNamespace("portcullis-ws42")).contains(WorkspaceId.of("ws42"));
        assertThat(names.workspaceOfNamespace("portcullis-WS")).isEmpty();
        assertThat(names.workspaceOfNamespace("docker-ws42")).isEmpty();
    }
}
