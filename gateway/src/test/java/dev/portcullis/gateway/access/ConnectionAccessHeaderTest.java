package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.Principal;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

/**
 * A warm request's whole {@code Authorization} value against what its connection proved: the token
 * is compared where it stands (no copy), and only the very same token, before its end, with nothing
 * changed, is reused.
 */
class ConnectionAccessHeaderTest {
    private static final long EXPIRES = 10_000;
    private static final long CHANGES = 7;

    private final ConnectionAccess connection = ConnectionAccess.of(new EmbeddedChannel());
    private final ConnectionAccess.Known alice = new ConnectionAccess.Known(null, Principal.builder("alice").build(),
            null, EXPIRES, CHANGES);

    @Test
    void theSameTokenInAnyWritingOfTheSchemeIsReused() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.knownByHeader("Bearer token-of-alice", EXPIRES - 1, CHANGES)).isSameAs(alice);
        assertThat(connection.knownByHeader("bearer   token-of-alice  ", EXPIRES - 1, CHANGES)).isSameAs(alice);
        assertThat(connection.knownByHeader(new AsciiString("Bearer token-of-alice"), EXPIRES - 1, CHANGES)).isSameAs(alice);
    }

    @Test
    void anotherTokenNoTokenOrAnotherSchemeIsNotReused() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.knownByHeader("Bearer token-of-alicf", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.knownByHeader("Bearer token-of-alic", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.knownByHeader("Bearer token-of-alicee", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.knownByHeader("Basic token-of-alice", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.knownByHeader("Bearer ", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.knownByHeader(null, EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void aCharacterPastLatin1NeverMatches() {
        connection.remember(alice, "token-of-alice");

        // U+0165 would be 'e' (0x65) if only its low byte were compared.
        assertThat(connection.knownByHeader("Bearer token-of-alic\u0165", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void aTokenLongerThanTheScratchArraysIsComparedWholeAsWell() {
        String longToken = "t".repeat(5000);
        connection.remember(alice, longToken);

        assertThat(connection.knownByHeader("Bearer " + longToken, EXPIRES - 1, CHANGES)).isSameAs(alice);
        assertThat(connection.knownByHeader("Bearer " + longToken.substring(1) + "u", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void theTokenIsNotReusedAtItsEndNorAfterAChange() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.knownByHeader("Bearer token-of-alice", EXPIRES, CHANGES)).isNull();
        assertThat(connection.knownByHeader("Bearer token-of-alice", EXPIRES - 1, CHANGES + 1)).isNull();
    }

    @Test
    void aCallerWithoutTokenIsReusedOnlyWithoutOneAgain() {
        connection.remember(alice, null);

        assertThat(connection.knownByHeader(null, EXPIRES - 1, CHANGES)).isSameAs(alice);
        assertThat(connection.knownByHeader("Basic YWxpY2U6c2VjcmV0", EXPIRES - 1, CHANGES))
                .as("another scheme is no bearer token; it goes to the workspace as sent").isSameAs(alice);
        assertThat(connection.knownByHeader("Bearer token-of-alice", EXPIRES - 1, CHANGES)).isNull();
    }
}
