package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * A warm connection reuses what it proved (see {@link ConnectionAccess}) and still loses access at
 * once. Over HTTP/2, where one connection carries request after request and a stream that ended
 * holds no grant, so nothing but the next request's check can refuse it; the same for HTTP/1.1
 * keep-alive where it applies. The demo workspace belongs to alice in acme; bob is in acme, eve not.
 */
class WarmConnectionAccessTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path state;

    private final ListAppender<ILoggingEvent> auditLog = new ListAppender<>();
    private final Logger auditLogger = (Logger) LoggerFactory.getLogger("portcullis.audit");
    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;
    private AccessState access;
    private HttpClient h2;

    @BeforeEach
    void start() throws Exception {
        auditLog.start();
        auditLogger.addAppender(auditLog);
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity));
        access = gateway.server().accessState().orElseThrow();
        h2 = HttpClient.newBuilder().sslContext(gateway.clientTls()).version(HttpClient.Version.HTTP_2)
                .connectTimeout(TIMEOUT).build();
    }

    @AfterEach
    void stop() {
        auditLogger.detachAppender(auditLog);
        h2.close();
        gateway.close();
    }

    private String token(String user, String org, Duration ttl) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), false, ttl));
    }

    private String token(String user, String org) {
        return token(user, org, Duration.ofMinutes(10));
    }

    private HttpResponse<String> get(HttpClient client, String header, String value) throws Exception {
        HttpResponse<String> answer = client.send(HttpRequest.newBuilder(gateway.url("/")).header(header, value)
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        return answer;
    }

    private HttpResponse<String> bearer(HttpClient client, String token) throws Exception {
        return get(client, "Authorization", "Bearer " + token);
    }

    private List<String> auditLines(String decision) {
        return auditLog.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.startsWith("event=decision decision=" + decision + " ")).toList();
    }

    enum Protocol { HTTP_1_1, HTTP_2 }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aHotConnectionWritesOneAllowLineAndCountsTheRest(Protocol protocol) throws Exception {
        HttpClient client = protocol == Protocol.HTTP_2 ? h2 : gateway.httpClient();
        String alice = token("alice", "acme");
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> answer = bearer(client, alice);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.version().name()).isEqualTo(protocol.name());
        }

        assertThat(auditLines("allow")).hasSize(1).allSatisfy(line -> assertThat(line).contains("principal=alice"));
        assertThat(gateway.scrapeMetrics()).contains("portcullis_access_allows_unaudited_total 4.0")
                .contains("portcullis_access_decisions_total{decision=\"allow\",reason=\"owner-match\"} 5");
    }

    @Test
    void everyDenialIsWrittenOnAWarmConnection() throws Exception {
        String eve = token("eve", "globex");
        for (int i = 0; i < 3; i++) {
            assertThat(bearer(h2, eve).statusCode()).isEqualTo(403);
        }

        assertThat(auditLines("deny")).hasSize(3);
        assertThat(gateway.scrapeMetrics()).doesNotContain("portcullis_access_allows_unaudited_total 1");
    }

    @Test
    void aShareRevokedBetweenTwoRequestsOfAWarmConnectionRefusesTheNext() throws Exception {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));
        String bob = token("bob", "acme");
        assertThat(bearer(h2, bob).statusCode()).isEqualTo(200);
        assertThat(bearer(h2, bob).statusCode()).isEqualTo(200); // warm now

        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

        HttpResponse<String> after = bearer(h2, bob);
        assertThat(after.statusCode()).isEqualTo(403);
        assertThat(after.body()).contains("no-share");
        assertThat(after.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    @Test
    void aPolicyTightenedBetweenTwoRequestsOfAWarmConnectionRefusesTheNext() throws Exception {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));
        String bob = token("bob", "acme");
        assertThat(bearer(h2, bob).statusCode()).isEqualTo(200);
        assertThat(bearer(h2, bob).statusCode()).isEqualTo(200);

        assertThat(access.putPolicy("acme", "acme.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing:
                  maxLevel: owner
                """)).isEmpty();

        assertThat(bearer(h2, bob).statusCode()).isEqualTo(403);
    }

    @Test
    void aShareAddedBetweenTwoRequestsOfAWarmConnectionLetsTheNextIn() throws Exception {
        String bob = token("bob", "acme");
        assertThat(bearer(h2, bob).statusCode()).isEqualTo(403);

        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));

        assertThat(bearer(h2, bob).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aDifferentCredentialOnTheSameConnectionIsVerifiedAfresh(Protocol protocol) throws Exception {
        HttpClient client = protocol == Protocol.HTTP_2 ? h2 : gateway.httpClient();
        String alice = token("alice", "acme");
        assertThat(bearer(client, alice).statusCode()).isEqualTo(200);
        assertThat(bearer(client, alice).statusCode()).isEqualTo(200);

        // Same length, the signature's first character changed (every bit of it counts, unlike the
        // last one's): not alice's token, and no signature verifies it.
        int signature = alice.lastIndexOf('.') + 1;
        String forged = alice.substring(0, signature) + (alice.charAt(signature) == 'A' ? 'B' : 'A')
                + alice.substring(signature + 1);
        HttpResponse<String> forgedAnswer = bearer(client, forged);
        assertThat(forgedAnswer.statusCode()).isEqualTo(401);

        HttpResponse<String> eveAnswer = bearer(client, token("eve", "globex"));
        assertThat(eveAnswer.statusCode()).isEqualTo(403);
        assertThat(eveAnswer.body()).contains("eve");
        HttpResponse<String> nobody = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/"))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(nobody.statusCode()).isEqualTo(401);
    }

    @Test
    void anExpiredTokenOnAWarmConnectionIsRefused() throws Exception {
        Duration ttl = Duration.ofSeconds(2);
        Instant expiresAt = Instant.now().plus(ttl);
        String shortLived = token("alice", "acme", ttl);
        assertThat(bearer(h2, shortLived).statusCode()).isEqualTo(200);
        assertThat(bearer(h2, shortLived).statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(expiresAt.plusMillis(100)));

        HttpResponse<String> after = bearer(h2, shortLived);
        assertThat(after.statusCode()).isEqualTo(401);
        assertThat(after.body()).contains("expired");
    }

    @Test
    void anEndedSessionOnAWarmConnectionIsRefusedOnTheNextRequest() throws Exception {
        HttpResponse<String> exchange = h2.send(HttpRequest.newBuilder(
                gateway.url("/?access_token=" + token("alice", "acme"))).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(exchange.statusCode()).as(exchange.body()).isEqualTo(303);
        String setCookie = exchange.headers().firstValue("set-cookie").orElseThrow();
        String reference = setCookie.substring("__Host-portcullis=".length(), setCookie.indexOf(';'));
        String cookie = "__Host-portcullis=" + reference;
        assertThat(get(h2, "Cookie", cookie).statusCode()).isEqualTo(200);
        assertThat(get(h2, "Cookie", cookie).statusCode()).isEqualTo(200);

        Sessions sessions = gateway.server().sessions().orElseThrow();
        assertThat(sessions.end(Sessions.idOf(reference)).get()).isTrue();

        HttpResponse<String> after = get(h2, "Cookie", cookie);
        assertThat(after.statusCode()).isEqualTo(401);
        assertThat(after.body()).contains("session that has ended");
    }
}
