package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.Principal;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** When a connection may reuse what it proved: the same token, before its end, with nothing changed. */
class ConnectionAccessTest {
    private static final long EXPIRES = 10_000;
    private static final long CHANGES = 7;

    private final ConnectionAccess connection = ConnectionAccess.of(new EmbeddedChannel());
    private final ConnectionAccess.Known alice = new ConnectionAccess.Known(null, Principal.builder("alice").build(),
            null, EXPIRES, CHANGES);

    @Test
    void theSameTokenBeforeItsEndWithNothingChangedIsReused() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.known(new String("token-of-alice"), EXPIRES - 1, CHANGES)).isSameAs(alice);
    }

    @Test
    void anotherTokenOfTheSameLengthIsNot() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.known("token-of-alicf", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.known("token-of-alic", EXPIRES - 1, CHANGES)).isNull();
        assertThat(connection.known(null, EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void anExpiredTokenIsNot() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.known("token-of-alice", EXPIRES, CHANGES)).isNull();
    }

    @Test
    void nothingIsReusedAfterAChange() {
        connection.remember(alice, "token-of-alice");

        assertThat(connection.known("token-of-alice", EXPIRES - 1, CHANGES + 1)).isNull();
    }

    @Test
    void anHttp2StreamSharesItsConnectionsRecordAndTwoConnectionsDoNot() {
        EmbeddedChannel one = new EmbeddedChannel();
        assertThat(ConnectionAccess.of(one)).isSameAs(ConnectionAccess.of(one))
                .isNotSameAs(ConnectionAccess.of(new EmbeddedChannel()));
    }

    @Test
    void anAllowIsAuditedOncePerCallerAndPortOnAConnection() {
        Principal bob = Principal.builder("bob").build();

        assertThat(connection.firstAllow(alice.principal(), "https://idp", "demo", 3000)).isTrue();
        assertThat(connection.firstAllow(alice.principal(), "https://idp", "demo", 3000)).isFalse();
        assertThat(connection.firstAllow(alice.principal(), "https://idp", "demo", 3001)).isTrue();
        assertThat(connection.firstAllow(alice.principal(), "https://other-idp", "demo", 3000)).isTrue();
        assertThat(connection.firstAllow(bob, "https://idp", "demo", 3000)).isTrue();
        assertThat(connection.firstAllow(Principal.anonymous(), null, "demo", 3000)).isTrue();
        assertThat(connection.firstAllow(Principal.anonymous(), null, "demo", 3000)).isFalse();
    }

    @Test
    void aCharacterPastLatin1NeverMatchesARememberedToken() {
        connection.remember(alice, "ab?");
        assertThat(connection.known("ab?", EXPIRES - 1, CHANGES)).as("a credential with '?' is not remembered").isNull();
        assertThat(connection.known("ab\u20ac", EXPIRES - 1, CHANGES)).isNull();

        connection.remember(alice, "token-of-alice");
        assertThat(connection.known("token-of-alic\u0165", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void secretsAreComparedWhole() {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        assertThat(ConnectionAccess.sameSecret(abc, "abc")).isTrue();
        assertThat(ConnectionAccess.sameSecret(abc, "abd")).isFalse();
        assertThat(ConnectionAccess.sameSecret(abc, "ab")).isFalse();
        assertThat(ConnectionAccess.sameSecret(abc, "abcd")).isFalse();
        assertThat(ConnectionAccess.sameSecret(null, null)).isTrue();
        assertThat(ConnectionAccess.sameSecret(null, "abc")).isFalse();
        assertThat(ConnectionAccess.sameSecret(abc, null)).isFalse();
    }

    @Test
    void aLongSecretDifferingInAnyOneByteIsNotTheSame() {
        // 8-byte words and a tail: a difference in either must count.
        String token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl-x";
        byte[] remembered = token.getBytes(StandardCharsets.US_ASCII);
        assertThat(ConnectionAccess.sameSecret(remembered, token)).isTrue();
        for (int i = 0; i < token.length(); i++) {
            char other = token.charAt(i) == 'Q' ? 'R' : 'Q';
            String changed = token.substring(0, i) + other + token.substring(i + 1);
            assertThat(ConnectionAccess.sameSecret(remembered, changed)).as("differs at %d", i).isFalse();
        }
    }
}
