package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.testing.TunnelWatcher;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access enforced on every request through the real gateway: the demo workspace belongs to alice
 * in acme; bob is in acme, eve is not. Tokens come from the development issuer.
 */
class GatewayAccessTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path state;

    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;
    private AccessState access;

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity));
        access = gateway.server().accessState().orElseThrow();
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private String token(String user, String org) {
        return token(user, org, Duration.ofMinutes(10));
    }

    private String token(String user, String org, Duration ttl) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), false, ttl));
    }

    private HttpResponse<String> get(String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.url("/")).timeout(TIMEOUT);
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return gateway.httpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void share(ShareLevel level) {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(gateway.workspacePort(), level));
    }

    /** Acme's policy: shares up to {@code maxLevel}. Without one, acme follows the gateway's default (organization). */
    private void acmePolicy(String maxLevel) {
        assertThat(access.putPolicy("acme", "acme.yaml", """
                apiVersion: portcullis.dev/v1
                kind: OrgPolicy
                org: acme
                sharing:
                  maxLevel: %s
                """.formatted(maxLevel))).isEmpty();
    }

    @Test
    void theOwnerReachesTheirPortWithoutAnyShare() throws Exception {
        HttpResponse<String> answer = get(token("alice", "acme"));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(gateway.workspaceConnections()).isEqualTo(1);
    }

    @Test
    void anOrgMemberIsDeniedUntilThePortIsSharedWithTheOrg() throws Exception {
        HttpResponse<String> before = get(token("bob", "acme"));
        assertThat(before.statusCode()).isEqualTo(403);
        assertThat(before.body()).contains("\"error\":\"forbidden\"").contains("\"reasons\":[\"no-share\"]");
        assertThat(gateway.workspaceConnections()).isZero();

        share(ShareLevel.ORGANIZATION);

        assertThat(get(token("bob", "acme")).statusCode()).isEqualTo(200);
    }

    @Test
    void anOutsiderIsDeniedAnOrgShareWithAReasonTheyCanRead() throws Exception {
        share(ShareLevel.ORGANIZATION);

        HttpResponse<String> answer = get(token("eve", "globex"));

        assertThat(answer.statusCode()).isEqualTo(403);
        assertThat(answer.body()).contains("share-org").contains("not-org-member");
        assertThat(gateway.workspaceConnections()).isZero();
    }

    @Test
    void aPublicPortNeedsNoToken() throws Exception {
        acmePolicy("public");
        share(ShareLevel.PUBLIC);

        assertThat(get(null).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutATokenAPrivatePortIs401WithTheReasons() throws Exception {
        share(ShareLevel.ORGANIZATION);

        HttpResponse<String> answer = get(null);

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(answer.body()).contains("not-authenticated");
        assertThat(gateway.workspaceConnections()).isZero();
    }

    @Test
    void aBrowserWithoutATokenGetsAPageSayingHowToSignIn() throws Exception {
        HttpResponse<String> answer = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/"))
                .header("Accept", "text/html").timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.body()).contains("<h1>Sign in to continue</h1>").contains("access_token");
    }

    @Test
    void withoutAnOrgPolicyAPublicShareIsNarrowedToTheDefaultMaximum() throws Exception {
        share(ShareLevel.PUBLIC);

        HttpResponse<String> answer = get(null);

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.body()).contains("share-public").contains("org-max-org");
    }

    @Test
    void anExpiredShareIsDenied() throws Exception {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), new PortShare(gateway.workspacePort(),
                ShareLevel.ORGANIZATION, Set.of(), Set.of(), Instant.now().minusSeconds(1)));

        HttpResponse<String> answer = get(token("bob", "acme"));

        assertThat(answer.statusCode()).isEqualTo(403);
        assertThat(answer.body()).contains("share-expired");
    }

    @Test
    void anOrgPolicyNarrowsAShareAtOnce() throws Exception {
        acmePolicy("public");
        share(ShareLevel.PUBLIC);
        assertThat(get(null).statusCode()).isEqualTo(200);

        acmePolicy("organization");

        assertThat(get(null).statusCode()).isEqualTo(401);
        assertThat(get(token("bob", "acme")).statusCode()).isEqualTo(200);
    }

    @Test
    void aTunnelIsClosedWithinASecondWhenItsShareIsRevoked() throws Exception {
        share(ShareLevel.ORGANIZATION);
        TunnelWatcher closed = new TunnelWatcher();
        WebSocket socket = gateway.httpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .header("Authorization", "Bearer " + token("bob", "acme"))
                .buildAsync(wsUrl(), closed).get(10, TimeUnit.SECONDS);
        socket.sendText("still here?", true).get(5, TimeUnit.SECONDS);
        assertThat(closed.firstText.get(5, TimeUnit.SECONDS)).isEqualTo("still here?");

        long revokedAt = System.nanoTime();
        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

        closed.closed.get(5, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(1));
        assertThat(closed.closeFrame).isCompletedWithValue("1008 access-withdrawn"); // the app can say why
    }

    @Test
    void aTunnelIsClosedWhenItsWorkspaceIsDeleted() throws Exception {
        gateway.close();
        Path routeFile = state.resolve("routes.json");
        java.nio.file.Files.writeString(routeFile, "[{\"workspaceId\":\"ws7\",\"address\":\"127.0.0.1\",\"owner\":\"alice\","
                + "\"org\":\"acme\"}]");
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity).routeFile(routeFile));
        TunnelWatcher tunnel = new TunnelWatcher();
        gateway.httpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .header("Authorization", "Bearer " + token("alice", "acme"))
                .buildAsync(URI.create("wss://" + gateway.host(gateway.workspacePort(), "ws7") + ":" + gateway.gatewayPort()
                        + "/echo"), tunnel).get(10, TimeUnit.SECONDS);

        long deletedAt = System.nanoTime();
        java.nio.file.Files.writeString(routeFile, "[]");

        tunnel.closed.get(5, TimeUnit.SECONDS);
        // The route file is polled every 0.5 s; the tunnel goes at the poll that sees the deletion.
        assertThat(Duration.ofNanos(System.nanoTime() - deletedAt)).isLessThan(Duration.ofMillis(1500));
        assertThat(tunnel.closeFrame).isCompletedWithValue("1001 workspace-deleted");
    }

    @Test
    void aTunnelIsClosedWhenItsTokenExpires() throws Exception {
        TunnelWatcher closed = new TunnelWatcher();
        gateway.httpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .header("Authorization", "Bearer " + token("alice", "acme", Duration.ofSeconds(2)))
                .buildAsync(wsUrl(), closed).get(10, TimeUnit.SECONDS);

        closed.closed.get(2 + 1 + 1, TimeUnit.SECONDS); // expiry, the promised second, and slack
        assertThat(closed.closed).isDone();
        assertThat(closed.closeFrame).isCompletedWithValue("1008 token-expired");
    }

    @Test
    void aTunnelTheChangeDoesNotAffectStaysOpen() throws Exception {
        share(ShareLevel.ORGANIZATION);
        TunnelWatcher closed = new TunnelWatcher();
        WebSocket socket = gateway.httpClient().newWebSocketBuilder().connectTimeout(TIMEOUT)
                .header("Authorization", "Bearer " + token("alice", "acme"))
                .buildAsync(wsUrl(), closed).get(10, TimeUnit.SECONDS);

        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort()); // the owner keeps access

        socket.sendText("owner", true).get(5, TimeUnit.SECONDS);
        assertThat(closed.firstText.get(5, TimeUnit.SECONDS)).isEqualTo("owner");
        assertThat(closed.closed).isNotDone();
    }

    @Test
    void aUrlTokenBecomesAHostOnlyCookieOnceAndLeavesTheUrl() throws Exception {
        String token = token("alice", "acme");
        URI withToken = gateway.url("/page?a=1&access_token=" + token + "&b=2");

        HttpResponse<String> exchange = gateway.httpClient().send(HttpRequest.newBuilder(withToken)
                .header("Accept", "text/html").timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(exchange.statusCode()).isEqualTo(303);
        assertThat(exchange.headers().firstValue("location")).contains(withToken.getScheme() + "://"
                + withToken.getAuthority() + "/page?a=1&b=2");
        String cookie = exchange.headers().firstValue("set-cookie").orElseThrow();
        assertThat(cookie).matches("__Host-portcullis=[A-Za-z0-9_-]{43};.*").doesNotContain(token)
                .contains("Path=/").contains("Secure").contains("HttpOnly").contains("SameSite=Lax").doesNotContain("Domain");
        assertThat(gateway.workspaceConnections()).isZero();

        HttpResponse<String> again = gateway.httpClient().send(HttpRequest.newBuilder(withToken).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(401);
        assertThat(again.body()).contains("query-token-reused");
    }

    @Test
    void theCookieAuthenticatesAndNeverReachesTheWorkspaceButOtherCookiesDo() throws Exception {
        try (RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(workspace.port(), ShareLevel.OWNER));
            String token = signInCookie(token("alice", "acme"));
            try (var socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
                socket.getOutputStream().write(("GET /x HTTP/1.1\r\nHost: " + host + "\r\nCookie: theme=dark; __Host-portcullis="
                        + token + "; lang=en\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                workspace.awaitRequestHead();
            }

            assertThat(workspace.received()).startsWith("GET /x HTTP/1.1").contains("cookie: theme=dark; lang=en")
                    .doesNotContain(token).doesNotContain("__Host-portcullis");
        }
    }

    /** The session reference a one-time link for {@code token} sets as the gateway's cookie. */
    private String signInCookie(String token) throws Exception {
        HttpResponse<String> exchange = gateway.httpClient().send(HttpRequest.newBuilder(
                gateway.url("/?access_token=" + token)).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(exchange.statusCode()).as(exchange.body()).isEqualTo(303);
        String cookie = exchange.headers().firstValue("set-cookie").orElseThrow();
        return cookie.substring("__Host-portcullis=".length(), cookie.indexOf(';'));
    }

    @Test
    void aBearerAndACookieForDifferentUsersAre400() throws Exception {
        share(ShareLevel.ORGANIZATION);
        String bobsCookie = signInCookie(token("bob", "acme"));
        HttpResponse<String> answer = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/"))
                .header("Authorization", "Bearer " + token("alice", "acme"))
                .header("Cookie", "__Host-portcullis=" + bobsCookie).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("credential-conflict");
        assertThat(gateway.workspaceConnections()).isZero();
    }

    @Test
    void aCookieThatNoLongerVerifiesIs401AndTheBrowserIsToldToDropIt() throws Exception {
        String tampered = token("alice", "acme") + "x"; // as good as one signed by a key the gateway dropped
        HttpResponse<String> answer = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/"))
                .header("Cookie", "__Host-portcullis=" + tampered).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.headers().firstValue("set-cookie")).hasValueSatisfying(v ->
                assertThat(v).startsWith("__Host-portcullis=;").contains("Max-Age=0"));
    }

    @Test
    void aUrlTokenOnAPostIsRefused() throws Exception {
        HttpResponse<String> answer = gateway.httpClient().send(HttpRequest.newBuilder(
                gateway.url("/echo?access_token=" + token("alice", "acme"))).POST(HttpRequest.BodyPublishers.ofString("x"))
                .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("query-token-not-allowed");
        assertThat(gateway.workspaceConnections()).isZero();
    }

    @Test
    void aCorsPreflightToAPrivatePortIsAnsweredByTheGatewayWithoutAllowingAnything() throws Exception {
        share(ShareLevel.ORGANIZATION);

        HttpResponse<String> answer = gateway.httpClient().send(preflight(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(204);
        assertThat(answer.headers().map().keySet()).noneMatch(name -> name.startsWith("access-control-"));
        assertThat(gateway.workspaceConnections()).isZero();
    }

    @Test
    void aCorsPreflightToAPublicPortReachesTheWorkspace() throws Exception {
        acmePolicy("public");
        share(ShareLevel.PUBLIC);

        gateway.httpClient().send(preflight(), HttpResponse.BodyHandlers.ofString());

        assertThat(gateway.workspaceConnections()).isEqualTo(1);
    }

    private HttpRequest preflight() {
        return HttpRequest.newBuilder(gateway.url("/api")).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://3000-demo.ws.localhost").header("Access-Control-Request-Method", "PUT")
                .timeout(TIMEOUT).build();
    }

    @Test
    void decisionsAreCountedInMetrics() throws Exception {
        get(token("eve", "globex"));
        get(token("alice", "acme"));

        String metrics = gateway.httpClient().send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("portcullis_access_decisions_total{decision=\"deny\",reason=\"no-share\"} 1")
                .contains("portcullis_access_decisions_total{decision=\"allow\",reason=\"owner-match\"} 1");
    }

    private URI wsUrl() {
        return URI.create("wss://" + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":"
                + gateway.gatewayPort() + "/echo");
    }
}
