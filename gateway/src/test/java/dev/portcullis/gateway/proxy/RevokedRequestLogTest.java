package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A request cut short because its grant was revoked is logged with the revocation's reason
 * ({@code error=revoked-access-withdrawn}, {@code revoked-token-expired}), over HTTP/2 (one stream
 * reset) as over HTTP/1.1 (the connection closed), never as if the client had gone away
 * ({@code client-closed}). The demo workspace belongs to alice; bob is in her org and reaches the
 * port only while it is shared with the org.
 */
class RevokedRequestLogTest {
    private static final String LONG_POLL = "/slow?ms=60000";

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure(GatewayExtension.Configuration.trustingTheDevelopmentIssuer())
            .resetAccessAfterEachTest()
            .build();

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger accessLog = (Logger) LoggerFactory.getLogger("portcullis.access");
    private GatewayFixture gateway;
    private AccessState access;
    private DevelopmentIssuer issuer;

    @BeforeEach
    void start() throws Exception {
        logged.start();
        accessLog.addAppender(logged);
        gateway = GATEWAY.fixture();
        access = gateway.server().accessState().orElseThrow();
        issuer = DevelopmentIssuer.loadOrCreate(GATEWAY.stateDir().resolve("issuer"));
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));
    }

    @AfterEach
    void stop() {
        accessLog.detachAppender(logged);
    }

    @Test
    void anHttp2StreamWhoseShareIsWithdrawnIsLoggedRevokedWithTheReason() throws Exception {
        try (RawHttp2 connection = new RawHttp2(GATEWAY.stateDir().resolve("tls/ca.pem"), gateway.gatewayPort(),
                "h2.ws.localhost")) {
            Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").path(LONG_POLL)
                    .authority(host() + ":" + gateway.gatewayPort());
            headers.add("authorization", "Bearer " + token("bob", Duration.ofMinutes(10)));
            RawHttp2.OpenStream longPoll = connection.open(headers, null, true);
            awaitWorkspaceHasIt();

            access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

            assertThat(longPoll.end().get(5, TimeUnit.SECONDS)).isEqualTo("reset CANCEL");
        }
        assertThat(awaitLongPollLine()).contains("status=403").contains("error=revoked-access-withdrawn")
                .doesNotContain("client-closed");
    }

    @Test
    void anHttp2StreamWhoseTokenExpiresIsLoggedRevokedTokenExpired() throws Exception {
        try (RawHttp2 connection = new RawHttp2(GATEWAY.stateDir().resolve("tls/ca.pem"), gateway.gatewayPort(),
                "h2.ws.localhost")) {
            Http2Headers headers = RawHttp2.headers().method("GET").scheme("https").path(LONG_POLL)
                    .authority(host() + ":" + gateway.gatewayPort());
            headers.add("authorization", "Bearer " + token("bob", Duration.ofSeconds(5)));
            RawHttp2.OpenStream longPoll = connection.open(headers, null, true);
            awaitWorkspaceHasIt();

            assertThat(longPoll.end().get(15, TimeUnit.SECONDS)).isEqualTo("reset CANCEL");
        }
        assertThat(awaitLongPollLine()).contains("status=401").contains("error=revoked-token-expired");
    }

    @Test
    void anHttp1RequestWhoseShareIsWithdrawnIsLoggedRevokedWithTheReason() throws Exception {
        try (SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host())) {
            socket.getOutputStream().write(("GET " + LONG_POLL + " HTTP/1.1\r\nHost: " + host() + ":" + gateway.gatewayPort()
                    + "\r\nAuthorization: Bearer " + token("bob", Duration.ofMinutes(10)) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            awaitWorkspaceHasIt();

            access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            assertThat(in.read()).as("the connection closed without an answer").isEqualTo(-1);
        }
        assertThat(awaitLongPollLine()).contains("status=403").contains("error=revoked-access-withdrawn");
    }

    /** The long poll was allowed and is on its way to the workspace once the gateway holds a workspace connection for it. */
    private void awaitWorkspaceHasIt() {
        Awaitility.await("the long poll allowed and forwarded").atMost(Duration.ofSeconds(10))
                .until(() -> metrics().contains("portcullis_workspace_connections_held 1.0"));
    }

    private String metrics() throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    private String awaitLongPollLine() {
        Awaitility.await("the long poll's access-log line").atMost(Duration.ofSeconds(5))
                .until(() -> !longPollLines().isEmpty());
        List<String> lines = longPollLines();
        assertThat(lines).hasSize(1);
        return lines.getFirst();
    }

    private List<String> longPollLines() {
        return List.copyOf(logged.list).stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.contains("path=\"/slow\"")).toList();
    }

    private String host() {
        return gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
    }

    private String token(String user, Duration ttl) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, GatewayFixture.ORG, List.of(), false, ttl));
    }
}
