package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkspaceIdTest {

    @ParameterizedTest
    @ValueSource(strings = { "ws42", "a", "0", "my-workspace-1", "a--b" })
    void acceptsLowercaseLettersDigitsAndInnerDashes(String id) {
        assertThat(WorkspaceId.of(id).value()).isEqualTo(id);
    }

    @Test
    void acceptsTheLongestIdThatStillFitsADnsLabelWithAPort() {
        final String longest = "a".repeat(WorkspaceId.MAX_LENGTH);

        assertThat(WorkspaceId.of(longest).value()).hasSize(57);
        assertThat(("65535-" + longest).length()).isLessThanOrEqualTo(63);
    }

    @Test
    void rejectsAnIdTooLongForTheDnsLabel() {
        assertThatThrownBy(() -> WorkspaceId.of("a".repeat(58)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 58 characters")
                .hasMessageContaining("expected: 1-57 characters");
    }

    @Test
    void rejectsEmptyId() {
        assertThatThrownBy(() -> WorkspaceId.of("")).hasMessageContaining("\"\" has 0 characters");
    }

    @ParameterizedTest
    @ValueSource(strings = { "WS42", "ws_42", "ws.42", "ws 42", "wß" })
    void rejectsCharactersOutsideTheAlphabetNamingTheFirstOne(String id) {
        assertThatThrownBy(() -> WorkspaceId.of(id))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + id + "\" has '")
                .hasMessageContaining("a-z, 0-9 and '-'");
    }

    @ParameterizedTest
    @ValueSource(strings = { "-ws42", "ws42-", "-" })
    void rejectsLeadingOrTrailingDash(String id) {
        assertThatThrownBy(() -> WorkspaceId.of(id)).hasMessageContaining("starts or ends with '-'");
    }

    @Test
    void equalIdsAreEqual() {
        assertThat(WorkspaceId.of("ws42")).isEqualTo(WorkspaceId.of("ws42")).isNotEqualTo(WorkspaceId.of("ws43"));
    }
}
