package dev.portcullis.gateway.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A page of one workspace host must not make a signed-in browser act on another: every
 * cookie-authenticated unsafe request and WebSocket upgrade whose Origin is not the port host's own
 * (or listed in the port's share) is refused with 403 {@code cross-origin} and never reaches the
 * workspace; bearer-authenticated ones and safe methods are not affected. Through the real gateway,
 * over HTTP/1.1 and HTTP/2; the demo workspace {@code demo} belongs to alice.
 */
class CrossOriginRefusalTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure(GatewayExtension.Configuration.trustingTheDevelopmentIssuer())
            .resetAccessAfterEachTest()
            .build();

    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;
    private AccessState access;
    private String aliceToken;
    private String aliceCookie;
    private long workspaceRequestsBefore;

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(GATEWAY.stateDir().resolve("issuer"));
        gateway = GATEWAY.fixture();
        access = gateway.server().accessState().orElseThrow();
        aliceToken = issuer.mint(new DevelopmentIssuer.Claims("alice", null, "acme", List.of(), false, Duration.ofMinutes(10)));
        aliceCookie = signInCookie(aliceToken);
        workspaceRequestsBefore = gateway.workspaceRequests();
    }

    /** The sign-in cookie a browser gets from the one-time link: a session reference, not the token. */
    private String signInCookie(String token) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(gateway.clientTls()).connectTimeout(TIMEOUT).build();
        HttpResponse<Void> answer = client.send(HttpRequest.newBuilder(
                URI.create(gateway.url("/") + "?access_token=" + token)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(answer.statusCode()).as("the one-time link").isEqualTo(303);
        String setCookie = answer.headers().firstValue("set-cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    /** The port host's own origin, as a browser on it sends it. */
    private String ownOrigin() {
        return "https://" + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort();
    }

    /** Another workspace of the same user under the same base domain: same site, other origin. */
    private String otherWorkspaceOrigin() {
        return "https://" + gateway.host(gateway.workspacePort(), "evil") + ":" + gateway.gatewayPort();
    }

    private HttpResponse<String> send(HttpClient.Version version, String method, String origin, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.url("/echo")).timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.ofString("rm -rf /"));
        if (origin != null) {
            request.header("Origin", origin);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpClient client = HttpClient.newBuilder().sslContext(gateway.clientTls()).version(version)
                .connectTimeout(TIMEOUT).build();
        HttpResponse<String> answer = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.version()).isEqualTo(version);
        return answer;
    }

    private HttpResponse<String> withCookie(String method, String origin, String... more) throws Exception {
        return send(HttpClient.Version.HTTP_1_1, method, origin, cookieAnd(more));
    }

    private String[] cookieAnd(String... more) {
        String[] headers = new String[more.length + 2];
        headers[0] = "Cookie";
        headers[1] = aliceCookie;
        System.arraycopy(more, 0, headers, 2, more.length);
        return headers;
    }

    private void assertRefusedCrossOrigin(HttpResponse<String> answer) {
        assertThat(answer.statusCode()).isEqualTo(403);
        assertThat(answer.body()).contains("\"error\":\"forbidden\"").contains("\"reasons\":[\"cross-origin\"]");
        assertThat(gateway.workspaceRequests()).as("requests that reached the workspace").isEqualTo(workspaceRequestsBefore);
    }

    @Test
    void refusesACookiePostFromAnotherWorkspaceOfTheSameUser() throws Exception {
        assertRefusedCrossOrigin(withCookie("POST", otherWorkspaceOrigin()));
    }

    @Test
    void refusesCookiePutAndDeleteFromAnotherOrigin() throws Exception {
        assertRefusedCrossOrigin(withCookie("PUT", otherWorkspaceOrigin()));
        assertRefusedCrossOrigin(withCookie("DELETE", "https://attacker.example"));
        assertRefusedCrossOrigin(withCookie("PATCH", otherWorkspaceOrigin()));
    }

    @Test
    void refusesOriginNull() throws Exception {
        HttpResponse<String> answer = withCookie("POST", "null");

        assertRefusedCrossOrigin(answer);
        assertThat(answer.body()).contains("origin 'null'");
    }

    @Test
    void refusesTheRightHostOnTheWrongPortOrScheme() throws Exception {
        String host = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        assertRefusedCrossOrigin(withCookie("POST", "https://" + host + ":" + (gateway.gatewayPort() + 1)));
        assertRefusedCrossOrigin(withCookie("POST", "https://" + host));
        assertRefusedCrossOrigin(withCookie("POST", "http://" + host + ":" + gateway.gatewayPort()));
        assertRefusedCrossOrigin(withCookie("POST", ownOrigin() + "/"));
        assertRefusedCrossOrigin(withCookie("POST", ownOrigin() + ".evil.example"));
    }

    @Test
    void refusesACookiePostWithoutOriginFromAClientThatCannotShowWhereItCameFrom() throws Exception {
        assertRefusedCrossOrigin(withCookie("POST", null));
        assertRefusedCrossOrigin(withCookie("POST", null, "Sec-Fetch-Site", "same-site"));
        assertRefusedCrossOrigin(withCookie("POST", null, "Sec-Fetch-Site", "cross-site"));
    }

    @Test
    void refusesACookiePostThatNamesTwoOrigins() throws Exception {
        String host = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host, "POST /echo HTTP/1.1\r\nHost: "
                + host + ":" + gateway.gatewayPort() + "\r\nOrigin: " + ownOrigin() + "\r\nOrigin: " + otherWorkspaceOrigin()
                + "\r\nCookie: " + aliceCookie + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 403").contains("cross-origin").contains("2 Origin headers");
        assertThat(gateway.workspaceRequests()).as("requests that reached the workspace").isEqualTo(workspaceRequestsBefore);
    }

    @Test
    void refusesACookiePostFromAnotherOriginOverHttp2() throws Exception {
        HttpResponse<String> answer = send(HttpClient.Version.HTTP_2, "POST", otherWorkspaceOrigin(), cookieAnd());

        assertRefusedCrossOrigin(answer);
    }

    /**
     * The refused request's body right behind its head (as the JDK's client sends a small one): the
     * 403 and its END_STREAM, then nothing more. A RST_STREAM CANCEL after the complete answer, sent
     * while its END_STREAM still waited to be flushed, made the JDK's client throw the answer away
     * ("RST_STREAM received Stream cancelled"; CI, refusesACookiePostFromAnotherOriginOverHttp2).
     */
    @Test
    void aRefusalWhoseBodyFollowsItsHeadEndsTheStreamWithoutAReset() throws Exception {
        String host = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        try (RawHttp2 client = new RawHttp2(GATEWAY.stateDir().resolve("tls/ca.pem"), gateway.gatewayPort(), host)) {
            for (int i = 0; i < 20; i++) {
                RawHttp2.OpenStream upload = client.open(RawHttp2.headers().method("POST").scheme("https")
                        .authority(host + ":" + gateway.gatewayPort()).path("/echo")
                        .add("origin", otherWorkspaceOrigin()).add("cookie", aliceCookie), "rm -rf /", true);

                assertThat(upload.end().get(10, TimeUnit.SECONDS)).isEqualTo("end-stream");
                assertThat(upload.head()).isCompletedWithValue("status 403");
                assertThat(upload.body()).contains("cross-origin");
                org.awaitility.Awaitility.await().during(Duration.ofMillis(50)).atMost(Duration.ofSeconds(1))
                        .until(() -> !upload.reset().isDone());
            }
        }
        assertThat(gateway.workspaceRequests()).isEqualTo(workspaceRequestsBefore);
    }

    @Test
    void allowsACookiePostFromThePortsOwnPagesOverBothProtocols() throws Exception {
        HttpResponse<String> http1 = withCookie("POST", ownOrigin());
        HttpResponse<String> http2 = send(HttpClient.Version.HTTP_2, "POST", ownOrigin(), cookieAnd());

        assertThat(http1.statusCode()).isEqualTo(200);
        assertThat(http1.body()).isEqualTo("rm -rf /");
        assertThat(http2.statusCode()).isEqualTo(200);
    }

    @Test
    void comparesTheOriginsHostWithoutRegardToCase() throws Exception {
        assertThat(withCookie("POST", ownOrigin().toUpperCase(java.util.Locale.ROOT)).statusCode()).isEqualTo(200);
    }

    @Test
    void allowsACookiePostWithoutOriginWhenFetchMetadataSaysSameOrigin() throws Exception {
        assertThat(withCookie("POST", null, "Sec-Fetch-Site", "same-origin").statusCode()).isEqualTo(200);
    }

    @Test
    void allowsAnOriginThePortsShareLists() throws Exception {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), new PortShare(gateway.workspacePort(), ShareLevel.OWNER,
                Set.of(), Set.of(), null, Set.of(otherWorkspaceOrigin())));

        assertThat(withCookie("POST", otherWorkspaceOrigin()).statusCode()).isEqualTo(200);
        HttpResponse<String> unlisted = withCookie("POST", "https://" + gateway.host(gateway.workspacePort(), "evil2") + ":"
                + gateway.gatewayPort());
        assertThat(unlisted.statusCode()).isEqualTo(403);
        assertThat(unlisted.body()).contains("\"reasons\":[\"cross-origin\"]");
    }

    @Test
    void allowsABearerPostFromAnyOrigin() throws Exception {
        HttpResponse<String> answer = send(HttpClient.Version.HTTP_1_1, "POST", otherWorkspaceOrigin(),
                "Authorization", "Bearer " + aliceToken);

        assertThat(answer.statusCode()).isEqualTo(200);
    }

    @Test
    void allowsSafeMethodsWithACookieFromAnyOrigin() throws Exception {
        HttpResponse<String> answer = send(HttpClient.Version.HTTP_1_1, "GET", otherWorkspaceOrigin(), cookieAnd());

        assertThat(answer.statusCode()).isNotEqualTo(403);
        assertThat(gateway.workspaceRequests()).as("requests that reached the workspace").isEqualTo(workspaceRequestsBefore + 1);
    }

    @Test
    void aBrowserNavigationRefusedAsCrossOriginGetsAPageThatSaysWhy() throws Exception {
        HttpResponse<String> answer = withCookie("POST", otherWorkspaceOrigin(), "Sec-Fetch-Mode", "navigate",
                "Accept", "text/html");

        assertThat(answer.statusCode()).isEqualTo(403);
        assertThat(answer.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(answer.body()).contains("You are signed in as <strong>alice@")
                .contains("came from a page of another site or workspace");
    }

    @Test
    void refusesACookieWebSocketUpgradeFromAnotherWorkspace() throws Exception {
        String head = upgrade(otherWorkspaceOrigin(), "Cookie: " + aliceCookie);

        assertThat(head).startsWith("HTTP/1.1 403").contains("cross-origin");
        assertThat(gateway.workspaceRequests()).as("requests that reached the workspace").isEqualTo(workspaceRequestsBefore);
    }

    @Test
    void refusesACookieWebSocketUpgradeWithOriginNullOrNone() throws Exception {
        assertThat(upgrade("null", "Cookie: " + aliceCookie)).startsWith("HTTP/1.1 403");
        assertThat(upgrade(null, "Cookie: " + aliceCookie)).startsWith("HTTP/1.1 403");
        assertThat(gateway.workspaceRequests()).as("requests that reached the workspace").isEqualTo(workspaceRequestsBefore);
    }

    @Test
    void allowsACookieWebSocketUpgradeFromThePortsOwnPage() throws Exception {
        assertThat(upgrade(ownOrigin(), "Cookie: " + aliceCookie)).startsWith("HTTP/1.1 101");
    }

    @Test
    void allowsABearerWebSocketUpgradeFromAnyOrigin() throws Exception {
        assertThat(upgrade(otherWorkspaceOrigin(), "Authorization: Bearer " + aliceToken)).startsWith("HTTP/1.1 101");
    }

    /** Sends a WebSocket upgrade to the demo's /echo; returns the response head. */
    private String upgrade(String origin, String credential) throws Exception {
        String host = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        try (SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
            socket.getOutputStream().write(("GET /echo HTTP/1.1\r\nHost: " + host + ":" + gateway.gatewayPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n")
                    + credential + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return readHead(socket.getInputStream());
        }
    }

    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            head.write(b);
            String text = head.toString(StandardCharsets.ISO_8859_1);
            if (text.endsWith("\r\n\r\n")) {
                break;
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (!text.startsWith("HTTP/1.1 101")) {
            text += new String(in.readAllBytes(), StandardCharsets.ISO_8859_1); // the refusal's body
        }
        return text;
    }
}
