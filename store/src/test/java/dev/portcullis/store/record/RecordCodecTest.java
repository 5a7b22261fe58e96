package dev.portcullis.store.record;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.Fixtures;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

    private static StoreRecord decode(String key, String json) {
        return RecordCodec.decode(key, json.getBytes(UTF_8));
    }

    @Test
    void aRouteReadsBackAsItWasWritten() {
        RouteRecord route = new RouteRecord("ws42", "fd00::3", "host-1", "alice", null, Map.of("env", "dev"),
                RouteState.STOPPED, List.of(8080, 3000), List.of(8443));

        StoreRecord read = RecordCodec.decode(route.key(), RecordCodec.encode(route));

        assertThat(read).isEqualTo(route);
        assertThat(((RouteRecord) read).ports()).containsExactly(3000, 8080);
    }

    @Test
    void listeningPortsReadBackSortedAndUnknownOnesAreLeftOut() {
        RouteRecord unknown = RouteRecord.running("ws42", "10.0.0.2", "host-1", "alice", null);
        RouteRecord none = unknown.withListeningPorts(List.of());
        RouteRecord some = unknown.withListeningPorts(List.of(8080, 3000));

        assertThat(new String(RecordCodec.encode(unknown), UTF_8)).doesNotContain("listeningPorts");
        assertThat(((RouteRecord) RecordCodec.decode(unknown.key(), RecordCodec.encode(unknown))).listeningPorts()).isNull();
        assertThat(((RouteRecord) RecordCodec.decode(none.key(), RecordCodec.encode(none))).listeningPorts()).isEmpty();
        assertThat(((RouteRecord) RecordCodec.decode(some.key(), RecordCodec.encode(some))).listeningPorts())
                .containsExactly(3000, 8080);
    }

    @Test
    void aListeningPortOutOfRangeIsRefused() {
        assertThatThrownBy(() -> decode("/portcullis/v1/routes/ws42", "{\"version\":1,\"workspaceId\":\"ws42\","
                + "\"address\":\"10.0.0.2\",\"host\":\"h\",\"owner\":\"alice\",\"state\":\"running\","
                + "\"listeningPorts\":[3000,0]}"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("listeningPorts: 0 (expected: 1-65535)");
    }

    @Test
    void aShareReadsBackWithItsUsersGroupsAndExpiry() {
        ShareRecord share = new ShareRecord("ws42", new PortShare(4000, ShareLevel.USERS, Set.of("bob"),
                Set.of("reviewers"), Instant.parse("2099-01-01T00:00:00Z")));

        ShareRecord read = (ShareRecord) RecordCodec.decode(share.key(), RecordCodec.encode(share));

        assertThat(read.key()).isEqualTo("/portcullis/v1/shares/ws42/4000");
        assertThat(read.share().users()).containsExactly("bob");
        assertThat(read.share().groups()).containsExactly("reviewers");
        assertThat(read.share().expiresAt()).isEqualTo(Instant.parse("2099-01-01T00:00:00Z"));
    }

    @Test
    void aShareReadsBackWithItsAllowedOriginsAndWithoutThemIsStoredAsBefore() {
        ShareRecord plain = new ShareRecord("ws42", PortShare.of(8080, ShareLevel.OWNER));
        ShareRecord allowing = new ShareRecord("ws42", new PortShare(8080, ShareLevel.OWNER, Set.of(), Set.of(), null,
                Set.of("https://3000-ws42.ws.example.com")));

        assertThat(new String(RecordCodec.encode(plain), UTF_8)).doesNotContain("allowedOrigins");
        ShareRecord read = (ShareRecord) RecordCodec.decode(allowing.key(), RecordCodec.encode(allowing));
        assertThat(read.share().allowedOrigins()).containsExactly("https://3000-ws42.ws.example.com");
    }

    @Test
    void aShareWithAnAllowedOriginThatIsNoOriginIsRefused() {
        assertThatThrownBy(() -> decode("/portcullis/v1/shares/ws42/8080", "{\"version\":1,\"workspaceId\":\"ws42\","
                + "\"port\":8080,\"level\":\"owner\",\"allowedOrigins\":[\"https://*.example.com\"]}"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("/portcullis/v1/shares/ws42/8080: share of port 8080: allowed origin");
    }

    @Test
    void anUnknownVersionIsRefusedBeforeAnyField() {
        assertThatThrownBy(() -> decode("/portcullis/v1/routes/ws1", "{\"version\":2,\"whatever\":true}"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessage("/portcullis/v1/routes/ws1: version 2 (expected: 1; a newer Portcullis may have written it)");
    }

    @Test
    void anUnknownFieldIsRefused() {
        String json = new String(RecordCodec.encode(Fixtures.route("ws1")), UTF_8).replace("{\"version\":1,", "{\"version\":1,\"color\":\"red\",");

        assertThatThrownBy(() -> decode("/portcullis/v1/routes/ws1", json))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("color");
    }

    @Test
    void aRecordUnderAnotherWorkspacesKeyIsRefused() {
        assertThatThrownBy(() -> RecordCodec.decode("/portcullis/v1/routes/ws2", RecordCodec.encode(Fixtures.route("ws1"))))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("the record is for /portcullis/v1/routes/ws1");
    }

    @Test
    void aShareThatNamesNobodyAtLevelUsersIsRefusedByThePolicyModel() {
        assertThatThrownBy(() -> decode("/portcullis/v1/shares/ws1/3000",
                "{\"version\":1,\"workspaceId\":\"ws1\",\"port\":3000,\"level\":\"users\",\"users\":[],\"groups\":[]}"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("level users names nobody");
    }

    @Test
    void aBadLevelNamesTheAcceptedOnes() {
        assertThatThrownBy(() -> decode("/portcullis/v1/shares/ws1/3000",
                "{\"version\":1,\"workspaceId\":\"ws1\",\"port\":3000,\"level\":\"everyone\"}"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("level: everyone (expected one of: owner, users, organization, authenticated, public)");
    }

    @Test
    void keysOutsideTheThreeKindsAreRefused() {
        assertThatThrownBy(() -> StoreKeys.parse("/portcullis/v1/shares/ws1/70000")).isInstanceOf(InvalidRecordException.class);
        assertThatThrownBy(() -> StoreKeys.parse("/portcullis/v1/routes/ws1/extra")).isInstanceOf(InvalidRecordException.class);
        assertThatThrownBy(() -> decode("/portcullis/v1/hosts/h1", "{\"version\":1}"))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("not a key Portcullis knows");
        assertThat(StoreKeys.parse("/portcullis/v1/shares/ws1/3000"))
                .isEqualTo(new StoreKeys.ParsedKey(StoreKeys.ParsedKey.Kind.SHARE, "ws1", 3000));
    }

    @Test
    void refusesAddressesThatAreNotLiterals() {
        for (String address : List.of("10.0.0.256", "localhost", "10.0.0", "::g", "1.2.3.4.5")) {
            assertThatThrownBy(() -> RouteRecord.running("ws1", address, "h", "o", "acme"))
                    .as(address).isInstanceOf(InvalidRecordException.class).hasMessageContaining("address");
        }
        assertThat(RouteRecord.running("ws1", "::1", "h", "o", "acme").address()).isEqualTo("::1");
    }
}
