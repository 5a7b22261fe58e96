package dev.portcullis.store.signin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.etcd.EtcdCluster;
import dev.portcullis.store.etcd.EtcdStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single use across restarts (the embedded store's file) and across clients of one real etcd
 * (as two gateways would be): tickets, logins and one-time URL tokens are honoured once.
 */
class SignInRecordsTest {
    private static final Instant NOW = Instant.now();

    @TempDir
    Path dir;

    private static SessionRecord session(String id) {
        return new SessionRecord(id, "https://idp.example", "alice", null, "acme", List.of("dev"), Map.of(),
                NOW, NOW, NOW.plus(Duration.ofHours(8)), Duration.ofHours(1), NOW.plusSeconds(300), null, null);
    }

    @Test
    void aTicketIsTakenOnceEvenAfterARestartOfTheEmbeddedStore() {
        Path file = dir.resolve("store.json");
        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            new SignInRecords(store).putTicket(new TicketRecord("t1", "s1", "3000-ws.example", "/x", NOW.plusSeconds(60)));
            assertThat(new SignInRecords(store).takeTicket("t1", NOW)).isPresent();
        }
        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            assertThat(new SignInRecords(store).takeTicket("t1", NOW)).isEmpty();
        }
    }

    @Test
    void anExpiredTicketIsNotHonoured() {
        try (EmbeddedStore store = EmbeddedStore.inMemory()) {
            SignInRecords records = new SignInRecords(store);
            records.putTicket(new TicketRecord("t1", "s1", "h", "/", NOW.plusSeconds(60)));

            assertThat(records.takeTicket("t1", NOW.plusSeconds(60))).isEmpty();
            assertThat(store.range(SignInRecords.TICKETS).entries()).isEmpty();
        }
    }

    @Test
    void aOneTimeIdentityIsFirstUsedOnceAcrossRestarts() {
        Path file = dir.resolve("store.json");
        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            assertThat(new SignInRecords(store).firstUse("iss|jti-1", NOW.plusSeconds(600))).isTrue();
        }
        try (EmbeddedStore store = EmbeddedStore.open(file)) {
            assertThat(new SignInRecords(store).firstUse("iss|jti-1", NOW.plusSeconds(600))).isFalse();
            assertThat(new SignInRecords(store).firstUse("iss|jti-2", NOW.plusSeconds(600))).isTrue();
        }
    }

    @Test
    void expiredRecordsAreForgottenAndLiveOnesKept() {
        try (EmbeddedStore store = EmbeddedStore.inMemory()) {
            SignInRecords records = new SignInRecords(store);
            records.firstUse("old", NOW.minusSeconds(1));
            records.firstUse("new", NOW.plusSeconds(60));
            records.createSession(session("s1"));

            assertThat(records.deleteExpired(NOW)).isEqualTo(1);
            assertThat(records.firstUse("new", NOW.plusSeconds(60))).isFalse();
            assertThat(records.session("s1", NOW)).isPresent();
        }
    }

    @Test
    void anIdleSessionIsNotServed() {
        try (EmbeddedStore store = EmbeddedStore.inMemory()) {
            SignInRecords records = new SignInRecords(store);
            records.createSession(session("s1"));

            assertThat(records.session("s1", NOW.plus(Duration.ofMinutes(59)))).isPresent();
            assertThat(records.session("s1", NOW.plus(Duration.ofMinutes(61)))).isEmpty();
        }
    }

    @Test
    void twoClientsOfOneEtcdShareSingleUseAndSeeSessionEnds() {
        try (EtcdCluster etcd = EtcdCluster.start(1);
             KeyValueStore first = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5));
             KeyValueStore second = EtcdStore.connect(etcd.endpoints(), Duration.ofSeconds(5))) {
            SignInRecords a = new SignInRecords(first);
            SignInRecords b = new SignInRecords(second);
            a.putTicket(new TicketRecord("t1", "s1", "h", "/", NOW.plusSeconds(60)));
            a.putLogin(new LoginRecord("l1", "b", "n", "v", "https://h/", NOW.plusSeconds(60)));
            a.createSession(session("s1"));
            List<String> ended = new CopyOnWriteArrayList<>();
            try (KeyValueStore.Watch ignored = b.watchSessionEnds(ended::add, failure -> {})) {
                assertThat(b.takeTicket("t1", NOW)).isPresent();
                assertThat(a.takeTicket("t1", NOW)).isEmpty();
                assertThat(b.takeLogin("l1", NOW)).isPresent();
                assertThat(a.takeLogin("l1", NOW)).isEmpty();
                assertThat(a.firstUse("iss|jti", NOW.plusSeconds(60))).isTrue();
                assertThat(b.firstUse("iss|jti", NOW.plusSeconds(60))).isFalse();

                assertThat(b.session("s1", NOW)).isPresent();
                assertThat(a.endSession("s1")).isTrue();

                await().atMost(Duration.ofSeconds(5)).until(() -> ended.contains("s1"));
                assertThat(b.session("s1", NOW)).isEmpty();
            }
        }
    }
}
