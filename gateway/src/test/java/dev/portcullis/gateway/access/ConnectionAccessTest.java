package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ShareLevel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.AsciiString;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * When a connection may reuse what it proved: the same token, before its end, with nothing changed;
 * as a string, or where it stands in a request's whole {@code Authorization} value (no copy).
 */
class ConnectionAccessTest {
    private static final long EXPIRES = 10_000;
    private static final long CHANGES = 7;

    private final ConnectionAccess connection = ConnectionAccess.of(new EmbeddedChannel());
    private final ConnectionAccess.Known alice = new ConnectionAccess.Known(null, Principal.builder("alice").build(),
            null, EXPIRES, CHANGES);

    private final WorkspaceRoute route = new WorkspaceRoute("ws42", InetAddress.getLoopbackAddress());
    private final AccessSnapshot snapshot = AccessSnapshot.empty(OrgPolicy.builder(ShareLevel.ORGANIZATION).build());
    private final Object verdict = new Object();

    private ConnectionAccess.Allowed allowOf(String method, String rawPath, String decidedPath) {
        OpenGrants.Grant grant = new OpenGrants.Grant(alice.principal(), OpenGrants.noExpiry(), "ws42", 3000, method,
                decidedPath);
        return new ConnectionAccess.Allowed(alice, "ws42", 3000, method, rawPath, route, snapshot,
                Decision.allow("owner"), decidedPath, grant, false, verdict, counted);
    }

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final GatewayMetrics.UnauditedAllow counted = metrics.unauditedAllowCounter("owner");

    /** {@code authorization} on a request for {@code GET /api/items} of ws42:3000 at {@code now}, {@code changes}. */
    private ConnectionAccess.Allowed warm(String authorization, long now, long changes) {
        return allowedOf(connection.warmAllow(authorization, now, changes, "ws42", 3000, "GET", "/api/items", 10, route,
                snapshot));
    }

    private static ConnectionAccess.Allowed allowedOf(ConnectionAccess.Warm warm) {
        return warm == null ? null : warm.allowed();
    }

    private ConnectionAccess.Allowed rememberAliceWith(String token) {
        ConnectionAccess.Allowed allowed = allowOf("GET", "/api/items", "/api/items");
        connection.remember(alice, token, allowed);
        return allowed;
    }

    @Test
    void theSamePathWithAnyQueryReusesTheAllowAndItsVerdict() {
        connection.remember(allowOf("GET", "/api/items", "/api/items"));

        ConnectionAccess.Allowed again = connection.allowed(alice, "ws42", 3000, "GET", "/api/items", 10, route, snapshot);
        assertThat(again).isNotNull();
        assertThat(again.verdict()).as("the verdict made when it was decided, not a new one").isSameAs(verdict);
        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/api/items?page=2", 10, route, snapshot))
                .as("the path is compared up to the query, where it stands in the target").isSameAs(again);
    }

    @Test
    void aPathThatOnlyStartsLikeTheAllowedOneIsDecidedAgain() {
        connection.remember(allowOf("GET", "/api", "/api"));

        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/api-admin", 10, route, snapshot)).isNull();
        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/api/x?y", 6, route, snapshot)).isNull();
        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/apx?q", 4, route, snapshot))
                .as("same length, other characters").isNull();
        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/ap?i", 3, route, snapshot)).isNull();
    }

    @Test
    void anotherMethodPortWorkspaceRouteOrSnapshotIsDecidedAgain() {
        connection.remember(allowOf("GET", "/", "/"));

        assertThat(connection.allowed(alice, "ws42", 3000, "POST", "/", 1, route, snapshot)).isNull();
        assertThat(connection.allowed(alice, "ws42", 3001, "GET", "/", 1, route, snapshot)).isNull();
        assertThat(connection.allowed(alice, "ws43", 3000, "GET", "/", 1, route, snapshot)).isNull();
        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/", 1,
                new WorkspaceRoute("ws42", InetAddress.getLoopbackAddress()), snapshot)).isNull();
        assertThat(connection.allowed(alice, "ws42", 3000, "GET", "/", 1, route,
                AccessSnapshot.empty(OrgPolicy.builder(ShareLevel.ORGANIZATION).build()))).isNull();
        assertThat(connection.allowed(new ConnectionAccess.Known(null, alice.principal(), null, EXPIRES, CHANGES),
                "ws42", 3000, "GET", "/", 1, route, snapshot)).as("another verification of the same user").isNull();
    }

    @Test
    void anAllowWithoutVerdictIsRefused() {
        assertThatThrownBy(() -> new ConnectionAccess.Allowed(alice, "ws42", 3000, "GET", "/", route, snapshot,
                Decision.allow("owner"), "/", null, false, null, counted)).isInstanceOf(NullPointerException.class)
                .hasMessage("verdict");
    }

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
        assertThat(ConnectionAccess.sameSecret("abc", "abc", 0, 3)).isTrue();
        assertThat(ConnectionAccess.sameSecret("abc", "abd", 0, 3)).isFalse();
        assertThat(ConnectionAccess.sameSecret("abc", "ab", 0, 2)).isFalse();
        assertThat(ConnectionAccess.sameSecret("abc", "abcd", 0, 4)).isFalse();
        assertThat(ConnectionAccess.sameSecret("abc", "Bearer abc", 7, 10)).as("where it stands in a header").isTrue();
        assertThat(ConnectionAccess.sameSecret(null, "abc", 0, 3)).isFalse();
    }

    @Test
    void aLongSecretDifferingInAnyOneByteIsNotTheSame() {
        // 8-byte words and a tail: a difference in either must count.
        String token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl-x";
        assertThat(ConnectionAccess.sameSecret(token, new String(token), 0, token.length())).isTrue();
        for (int i = 0; i < token.length(); i++) {
            char other = token.charAt(i) == 'Q' ? 'R' : 'Q';
            String changed = token.substring(0, i) + other + token.substring(i + 1);
            assertThat(ConnectionAccess.sameSecret(token, changed, 0, changed.length())).as("differs at %d", i).isFalse();
        }
    }

    @Test
    void withoutATokenOnlyACallerWithoutOneAgainIsReused() {
        connection.remember(alice, null);

        assertThat(connection.known(null, EXPIRES - 1, CHANGES)).isSameAs(alice);
        assertThat(connection.known("abc", EXPIRES - 1, CHANGES)).isNull();
    }

    // A warm request in one look (warmAllow): its whole Authorization value, the token compared where
    // it stands (no copy), and the allow remembered with that token.

    @Test
    void theSameTokenInAnyWritingOfTheSchemeReusesTheAllow() {
        ConnectionAccess.Allowed allowed = rememberAliceWith("token-of-alice");

        assertThat(warm("Bearer token-of-alice", EXPIRES - 1, CHANGES)).isSameAs(allowed);
        assertThat(warm("bearer   token-of-alice  ", EXPIRES - 1, CHANGES)).isSameAs(allowed);
        assertThat(allowedOf(connection.warmAllow(new AsciiString("Bearer token-of-alice"), EXPIRES - 1, CHANGES, "ws42", 3000,
                "GET", "/api/items?page=2", 10, route, snapshot))).as("any query, the path where it stands").isSameAs(allowed);
    }

    @Test
    void anotherTokenNoTokenOrAnotherSchemeIsNotReused() {
        rememberAliceWith("token-of-alice");

        assertThat(warm("Bearer token-of-alicf", EXPIRES - 1, CHANGES)).as("a changed token").isNull();
        assertThat(warm("Bearer token-of-alic", EXPIRES - 1, CHANGES)).isNull();
        assertThat(warm("Bearer token-of-alicee", EXPIRES - 1, CHANGES)).isNull();
        assertThat(warm("Basic token-of-alice", EXPIRES - 1, CHANGES)).isNull();
        assertThat(warm("Bearer ", EXPIRES - 1, CHANGES)).isNull();
        assertThat(warm(null, EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void aCharacterPastLatin1NeverMatches() {
        rememberAliceWith("token-of-alice");

        // U+0165 would be 'e' (0x65) if only its low byte were compared.
        assertThat(warm("Bearer token-of-alic\u0165", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void aTokenThatIsNotRememberedNeverReusesItsAllowWithoutAFullCheck() {
        rememberAliceWith("ab?");

        assertThat(warm("Bearer ab?", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void aTokenLongerThanTheScratchArraysIsComparedWholeAsWell() {
        String longToken = "t".repeat(5000);
        ConnectionAccess.Allowed allowed = rememberAliceWith(longToken);

        assertThat(warm("Bearer " + longToken, EXPIRES - 1, CHANGES)).isSameAs(allowed);
        assertThat(warm("Bearer " + longToken.substring(1) + "u", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void theAllowIsNotReusedAtTheTokensEndNorAfterAChange() {
        rememberAliceWith("token-of-alice");

        assertThat(warm("Bearer token-of-alice", EXPIRES, CHANGES)).as("expired").isNull();
        assertThat(warm("Bearer token-of-alice", EXPIRES - 1, CHANGES + 1)).as("a change (policy, share, route, session)")
                .isNull();
    }

    @Test
    void anotherRoutePortSnapshotWorkspaceMethodOrPathIsNotReused() {
        rememberAliceWith("token-of-alice");
        String auth = "Bearer token-of-alice";

        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws42", 3000, "GET", "/api/items", 10,
                new WorkspaceRoute("ws42", InetAddress.getLoopbackAddress()), snapshot))).as("a new route object").isNull();
        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws42", 3001, "GET", "/api/items", 10, route, snapshot)))
                .as("another port").isNull();
        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws42", 3000, "GET", "/api/items", 10, route,
                AccessSnapshot.empty(OrgPolicy.builder(ShareLevel.ORGANIZATION).build())))).as("a new policy snapshot").isNull();
        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws43", 3000, "GET", "/api/items", 10, route, snapshot)))
                .as("another workspace").isNull();
        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws42", 3000, "POST", "/api/items", 10, route, snapshot)))
                .as("another method").isNull();
        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws42", 3000, "GET", "/api/itemz", 10, route, snapshot)))
                .as("another path of the same length").isNull();
        assertThat(allowedOf(connection.warmAllow(auth, EXPIRES - 1, CHANGES, "ws42", 3000, "GET", "/api/items/1", 12, route, snapshot)))
                .as("a path that only starts like it").isNull();
    }

    @Test
    void aCallerWithoutTokenIsReusedOnlyWithoutOneAgain() {
        ConnectionAccess.Allowed allowed = rememberAliceWith(null);

        assertThat(warm(null, EXPIRES - 1, CHANGES)).isSameAs(allowed);
        assertThat(warm("Basic YWxpY2U6c2VjcmV0", EXPIRES - 1, CHANGES))
                .as("another scheme is no bearer token; it goes to the workspace as sent").isSameAs(allowed);
        assertThat(warm("Bearer token-of-alice", EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void aBrowserSessionsAllowIsNeverReusedWithoutItsLookup() {
        ConnectionAccess.Known session = new ConnectionAccess.Known(null, alice.principal(), "session-1", Long.MIN_VALUE,
                CHANGES);
        OpenGrants.Grant grant = new OpenGrants.Grant(alice.principal(), OpenGrants.noExpiry(), "ws42", 3000, "GET",
                "/api/items");
        connection.remember(session, null, new ConnectionAccess.Allowed(session, "ws42", 3000, "GET", "/api/items", route,
                snapshot, Decision.allow("owner"), "/api/items", grant, false, verdict, counted));

        assertThat(warm(null, EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void anAllowOnlyRememberedWithoutItsTokenIsNotReusedWarm() {
        connection.remember(allowOf("GET", "/api/items", "/api/items"));

        assertThat(warm(null, EXPIRES - 1, CHANGES)).isNull();
    }

    @Test
    void anAllowIsRememberedOnlyWithTheCallerItWasDecidedFor() {
        ConnectionAccess.Known bob = new ConnectionAccess.Known(null, Principal.builder("bob").build(), null, EXPIRES,
                CHANGES);

        assertThatThrownBy(() -> connection.remember(bob, "token-of-bob", allowOf("GET", "/", "/")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theWarmEntryCarriesWhatActingOnTheAllowTakes() {
        ConnectionAccess.Allowed allowed = allowOf("GET", "/api//items", "/api/items");
        connection.remember(alice, "token-of-alice", allowed);

        ConnectionAccess.Warm warm = connection.warmAllow("Bearer token-of-alice", EXPIRES - 1, CHANGES, "ws42", 3000,
                "GET", "/api//items?page=2", 11, route, snapshot);

        assertThat(warm.allowed()).isSameAs(allowed);
        assertThat(warm.rewritesPath()).as("the workspace gets the decided path").isTrue();
        assertThat(warm.decidedPath()).isEqualTo("/api/items");
        assertThat(warm.verdict()).isSameAs(verdict);
        assertThat(warm.counted()).isSameAs(counted);
        assertThat(warm.assertsIdentity()).isFalse();
    }

    @Test
    void aReusedAllowCountsItsRepeatInTheAuditCounters() {
        ConnectionAccess.Allowed allowed = rememberAliceWith("token-of-alice");
        double before = unaudited();

        warm("Bearer token-of-alice", EXPIRES - 1, CHANGES).counted().count();

        assertThat(unaudited()).isEqualTo(before + 1);
        assertThat(allowed.counted()).isSameAs(counted);
    }

    private double unaudited() {
        return counted.all().get();
    }
}
