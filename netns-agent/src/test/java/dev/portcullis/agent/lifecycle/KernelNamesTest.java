package dev.portcullis.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.policy.WorkspaceId;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KernelNamesTest {

    private final KernelNames names = new KernelNames(AgentConfig.builder().interfacePrefix("pcabc").build());

    @Test
    void hostInterfaceNamesFitTheKernelLimitForTheLongestId() {
        String name = names.hostInterface(WorkspaceId.of("a".repeat(WorkspaceId.MAX_LENGTH)), Set.of());

        assertThat(name).hasSize(15).startsWith("pcabc").matches("pcabc[0-9a-f]{10}");
    }

    @Test
    void theSameIdGetsTheSameNameAndACollisionGetsAnother() {
        WorkspaceId id = WorkspaceId.of("ws42");
        String first = names.hostInterface(id, Set.of());

        assertThat(names.hostInterface(id, Set.of())).isEqualTo(first);
        assertThat(names.hostInterface(id, Set.of(first))).isNotEqualTo(first).startsWith("pcabc").hasSize(15);
    }

    @Test
    void claimsOnlyNamesItCouldHaveMade() {
        assertThat(names.isOwnInterface("pcabc0123456789")).isTrue();
        assertThat(names.isOwnInterface("pcabc012345678")).isFalse();
        assertThat(names.isOwnInterface("pcabcpeer")).isFalse();
        assertThat(names.isOwnInterface("eth0")).isFalse();
        assertThat(names.workspaceOfNamespace("portcullis-ws42")).contains(WorkspaceId.of("ws42"));
        assertThat(names.workspaceOfNamespace("portcullis-WS")).isEmpty();
        assertThat(names.workspaceOfNamespace("docker-ws42")).isEmpty();
    }

    /** A spare's link: within 15 characters for the longest prefix and any spare number of this century, never an own workspace link. */
    @Test
    void aSparesLinkFitsTheKernelLimitAndIsNeverTakenForAWorkspacesLink() {
        long number = java.time.Instant.parse("2099-12-31T23:59:59Z").toEpochMilli();
        String link = names.spareHostLink(number);

        assertThat(link).startsWith("pcabc_").hasSizeLessThanOrEqualTo(15);
        assertThat(names.isOwnInterface(link)).isFalse();
        assertThat(names.spareHostLinkOf(names.spareNamespace(number))).contains(link);
        assertThat(names.spareHostLinkOf(names.spareNamespace(Long.MAX_VALUE))).as("no spare has such a number").isEmpty();
    }
}
