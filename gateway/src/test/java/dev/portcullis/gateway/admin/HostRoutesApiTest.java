package dev.portcullis.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.RouteRecord;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hosts' route API through a real gateway on a real embedded store: an agent's routes become
 * routable, live as long as their lease, and no one but their host changes them. The fixture's demo
 * app on loopback stands in for a workspace.
 */
class HostRoutesApiTest {
    private static final String WS = "agent-ws";
    private static final Duration PROPAGATION = Duration.ofSeconds(5);
    private static final Pattern LEASE = Pattern.compile("\"lease\":(\\d+)");

    @TempDir
    Path state;

    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity)
                .store(StoreSettings.embedded(state.resolve("store.json")))
                .hostRouteRanges(List.of(AddressRange.parse("127.0.0.0/8")))
                .access(new AccessSettings(Optional.empty(), ShareLevel.ORGANIZATION, DevelopmentIssuer.ADMIN_CLAIM)));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private String hostToken(String host) {
        return issuer.mintHost(host, Duration.ofMinutes(5));
    }

    private String userToken(String user) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, "acme", List.of(), true, Duration.ofMinutes(5)));
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.adminUrl(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private long grant(String host, int ttlSeconds) throws Exception {
        HttpResponse<String> granted = call("POST", "/api/v1/hosts/" + host + "/leases", hostToken(host),
                "{\"ttlSeconds\":" + ttlSeconds + "}");
        assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        Matcher lease = LEASE.matcher(granted.body());
        assertThat(lease.find()).as(granted.body()).isTrue();
        return Long.parseLong(lease.group(1));
    }

    private static String record(String workspace, String host) {
        return new String(RecordCodec.encode(RouteRecord.running(workspace, "127.0.0.1", host, GatewayFixture.OWNER,
                GatewayFixture.ORG)), StandardCharsets.UTF_8);
    }

    private HttpResponse<String> putRoute(String host, long lease, String token, String body) throws Exception {
        return call("PUT", "/api/v1/hosts/" + host + "/routes/" + WS + "?lease=" + lease, token, body);
    }

    /** GET / of the demo app's port of {@link #WS} through the gateway, as its owner. */
    private int statusThroughGateway() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(gateway.url(gateway.workspacePort(), WS, "/"))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + userToken(GatewayFixture.OWNER)).build();
        return gateway.httpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private WorkspaceRoute routed() {
        return gateway.server().currentRoutes().lookup(WS);
    }

    private static void await(Duration within, BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(within).until(condition::getAsBoolean);
    }

    /** Fails if {@code condition} stops holding within {@code period}: a wrong change would have arrived by then. */
    private static void holdsFor(Duration period, BooleanSupplier condition, String what) {
        Awaitility.await(what).during(period).atMost(period.plusSeconds(5)).until(condition::getAsBoolean);
    }

    @Test
    void aHostsRouteIsRoutableThroughTheGatewayUntilWithdrawn() throws Exception {
        long lease = grant("host-1", 30);

        HttpResponse<String> put = putRoute("host-1", lease, hostToken("host-1"), record(WS, "host-1"));

        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        await(PROPAGATION, () -> routed() != null, "the route reaches the route table");
        assertThat(statusThroughGateway()).as("a request reaches the backend on loopback").isEqualTo(200);

        assertThat(call("DELETE", "/api/v1/hosts/host-1/routes/" + WS, hostToken("host-1"), null).statusCode()).isEqualTo(204);
        await(PROPAGATION, () -> routed() == null, "the route leaves the route table");
        assertThat(statusThroughGateway()).isEqualTo(404);
        assertThat(call("DELETE", "/api/v1/hosts/host-1/routes/" + WS, hostToken("host-1"), null).statusCode())
                .as("withdrawing twice").isEqualTo(404);
    }

    @Test
    void routesOfALeaseThatIsNotKeptAliveGoWithinItsTtl() throws Exception {
        long lease = grant("host-1", 2);
        putRoute("host-1", lease, hostToken("host-1"), record(WS, "host-1"));
        await(PROPAGATION, () -> routed() != null, "the route reaches the route table");
        for (int i = 0; i < 6; i++) { // three seconds: past the TTL, held by keep-alives
            assertThat(call("PUT", "/api/v1/hosts/host-1/leases/" + lease, hostToken("host-1"), null).statusCode()).isEqualTo(200);
            Thread.sleep(500); // the host's keep-alive pace: time passing is what is tested
        }
        assertThat(routed()).as("kept alive past its TTL").isNotNull();

        long stopped = System.nanoTime();
        await(Duration.ofSeconds(4), () -> routed() == null, "the route expires with its lease");
        assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));

        HttpResponse<String> late = call("PUT", "/api/v1/hosts/host-1/leases/" + lease, hostToken("host-1"), null);
        assertThat(late.statusCode()).isEqualTo(410);
        assertThat(late.body()).contains("lease-gone").contains("grant a new lease");
    }

    @Test
    void revokingTheLeaseTakesItsRoutesAwayAtOnce() throws Exception {
        long lease = grant("host-1", 60);
        putRoute("host-1", lease, hostToken("host-1"), record(WS, "host-1"));
        await(PROPAGATION, () -> routed() != null, "the route reaches the route table");

        assertThat(call("DELETE", "/api/v1/hosts/host-1/leases/" + lease, hostToken("host-1"), null).statusCode()).isEqualTo(204);

        await(Duration.ofSeconds(2), () -> routed() == null, "the route leaves long before its 60s TTL");
        assertThat(putRoute("host-1", lease, hostToken("host-1"), record(WS, "host-1")).statusCode())
                .as("a write under the revoked lease").isEqualTo(410);
    }

    @Test
    void aLeaseThisGatewayDidNotGrantToTheCallerIsGone() throws Exception {
        long hostTwos = grant("host-2", 30);

        assertThat(call("PUT", "/api/v1/hosts/host-1/leases/12345", hostToken("host-1"), null).statusCode()).isEqualTo(410);
        assertThat(call("PUT", "/api/v1/hosts/host-1/leases/" + hostTwos, hostToken("host-1"), null).statusCode())
                .as("another host's lease").isEqualTo(410);
        assertThat(call("DELETE", "/api/v1/hosts/host-1/leases/" + hostTwos, hostToken("host-1"), null).statusCode())
                .as("revoking another host's lease").isEqualTo(410);
        assertThat(putRoute("host-1", hostTwos, hostToken("host-1"), record(WS, "host-1")).statusCode())
                .as("writing under another host's lease").isEqualTo(410);
        assertThat(call("PUT", "/api/v1/hosts/host-2/leases/" + hostTwos, hostToken("host-2"), null).statusCode())
                .as("host-2's lease lives on").isEqualTo(200);
    }

    @Test
    void nothingIsAnonymousAndABadSignatureIsRefused() throws Exception {
        long lease = grant("host-1", 30);
        String[][] calls = {{"POST", "/api/v1/hosts/host-1/leases"}, {"PUT", "/api/v1/hosts/host-1/leases/" + lease},
                {"DELETE", "/api/v1/hosts/host-1/leases/" + lease}, {"PUT", "/api/v1/hosts/host-1/routes/" + WS + "?lease=" + lease},
                {"DELETE", "/api/v1/hosts/host-1/routes/" + WS}};
        for (String[] c : calls) {
            HttpResponse<String> anonymous = call(c[0], c[1], null, record(WS, "host-1"));
            assertThat(anonymous.statusCode()).as(c[0] + " " + c[1]).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("www-authenticate")).isPresent();
            HttpResponse<String> forged = call(c[0], c[1], hostToken("host-1") + "x", record(WS, "host-1"));
            assertThat(forged.statusCode()).as("bad signature: " + c[0] + " " + c[1]).isEqualTo(401);
            assertThat(forged.body()).contains("bad-signature");
        }
        assertThat(routed()).isNull();
        assertThat(call("PUT", "/api/v1/hosts/host-1/leases/" + lease, hostToken("host-1"), null).statusCode())
                .as("the lease was not revoked").isEqualTo(200);
    }

    @Test
    void aUserTokenWithoutTheHostClaimIsForbidden() throws Exception {
        long lease = grant("host-1", 30);

        HttpResponse<String> put = putRoute("host-1", lease, userToken("carol"), record(WS, "host-1"));

        assertThat(put.statusCode()).isEqualTo(403);
        assertThat(put.body()).contains("not-a-host").contains(HostRoutesApi.HOST_CLAIM);
        assertThat(call("POST", "/api/v1/hosts/host-1/leases", userToken("carol"), null).statusCode()).isEqualTo(403);
        assertThat(routed()).isNull();
    }

    @Test
    void aHostWritesOnlyUnderItsOwnName() throws Exception {
        long lease = grant("host-2", 30);

        assertThat(call("POST", "/api/v1/hosts/host-2/leases", hostToken("host-1"), null).statusCode()).isEqualTo(403);
        assertThat(putRoute("host-2", lease, hostToken("host-1"), record(WS, "host-2")).statusCode()).isEqualTo(403);
        assertThat(call("DELETE", "/api/v1/hosts/host-2/leases/" + lease, hostToken("host-1"), null).statusCode()).isEqualTo(403);
        HttpResponse<String> otherName = putRoute("host-2", lease, hostToken("host-2"), record(WS, "host-1"));
        assertThat(otherName.statusCode()).as("a record naming another host").isEqualTo(422);
        assertThat(otherName.body()).contains("field 'host'");
        assertThat(routed()).isNull();
    }

    @Test
    void aHostNeitherOverwritesNorDeletesAnotherHostsRoute() throws Exception {
        long one = grant("host-1", 30);
        long two = grant("host-2", 30);
        assertThat(putRoute("host-1", one, hostToken("host-1"), record(WS, "host-1")).statusCode()).isEqualTo(200);

        HttpResponse<String> overwrite = putRoute("host-2", two, hostToken("host-2"), record(WS, "host-2"));
        HttpResponse<String> delete = call("DELETE", "/api/v1/hosts/host-2/routes/" + WS, hostToken("host-2"), null);

        assertThat(overwrite.statusCode()).isEqualTo(409);
        assertThat(overwrite.body()).contains("owned-by-another-host").contains("host-1");
        assertThat(delete.statusCode()).isEqualTo(409);
        await(PROPAGATION, () -> routed() != null, "host-1's route is routed");
        assertThat(statusThroughGateway()).isEqualTo(200);
        assertThat(call("DELETE", "/api/v1/hosts/host-2/leases/" + two, hostToken("host-2"), null).statusCode()).isEqualTo(204);
        holdsFor(Duration.ofMillis(200), () -> routed() != null, "revoking host-2's lease leaves host-1's route");
    }

    @Test
    void anAddressOutsideTheTrustedRangesIsRefusedAndChangesNothing() throws Exception {
        long lease = grant("host-1", 30);
        assertThat(putRoute("host-1", lease, hostToken("host-1"), record(WS, "host-1")).statusCode()).isEqualTo(200);

        for (String address : new String[] {"10.0.0.5", "169.254.169.254", "::1"}) {
            HttpResponse<String> put = putRoute("host-1", lease, hostToken("host-1"),
                    record(WS, "host-1").replace("\"127.0.0.1\"", "\"" + address + "\""));
            assertThat(put.statusCode()).as(address).isEqualTo(403);
            assertThat(put.body()).contains("address-not-trusted").contains("127.0.0.0/8");
        }
        await(PROPAGATION, () -> routed() != null, "the trusted route is routed");
        assertThat(routed().address().getHostAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void aBadRecordIs422NamingTheFieldAndChangesNothing() throws Exception {
        long lease = grant("host-1", 30);
        assertThat(putRoute("host-1", lease, hostToken("host-1"), record(WS, "host-1")).statusCode()).isEqualTo(200);
        await(PROPAGATION, () -> routed() != null, "the good route is routed");
        String good = record(WS, "host-1");
        String[][] bad = {
                {"{not json", "not JSON"},
                {good.replace("\"127.0.0.1\"", "\"db.internal\""), "field 'address'"},
                {good.replace("\"address\":\"127.0.0.1\",", ""), "field 'address'"},
                {good.replace("\"owner\":\"alice\"", "\"owner\":\"\""), "field 'owner'"},
                {good.replace("\"running\"", "\"paused\""), "field 'state'"},
                {good.replace("\"version\":1", "\"version\":2"), "version 2"},
                {good.replace("\"workspaceId\":\"" + WS + "\"", "\"workspaceId\":\"other\""), "routes/other"},
                {good.replaceFirst("\\{", "{\"extra\":true,"), "extra"},
                {"[]", "not a JSON object"},
        };
        for (String[] body : bad) {
            HttpResponse<String> put = putRoute("host-1", lease, hostToken("host-1"), body[0]);
            assertThat(put.statusCode()).as(body[0]).isEqualTo(422);
            assertThat(put.body()).as(body[0]).contains("invalid-route").contains(body[1]).contains("nothing was written");
        }
        holdsFor(Duration.ofMillis(200), () -> routed().address().getHostAddress().equals("127.0.0.1"),
                "the refused changes change nothing");
        assertThat(statusThroughGateway()).isEqualTo(200);
    }

    @Test
    void aRouteWriteNeedsALeaseAndAValidWorkspaceAndTtl() throws Exception {
        String token = hostToken("host-1");
        assertThat(call("PUT", "/api/v1/hosts/host-1/routes/" + WS, token, record(WS, "host-1")).statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/api/v1/hosts/host-1/routes/" + WS + "?lease=abc", token, record(WS, "host-1")).statusCode())
                .isEqualTo(400);
        assertThat(call("DELETE", "/api/v1/hosts/host-1/routes/Bad_Id", token, null).statusCode()).isEqualTo(400);
        for (String body : new String[] {"{\"ttlSeconds\":1}", "{\"ttlSeconds\":100000}", "{\"ttlSeconds\":\"10\"}", "{\"ttl\":10}", "x"}) {
            HttpResponse<String> grant = call("POST", "/api/v1/hosts/host-1/leases", token, body);
            assertThat(grant.statusCode()).as(body).isEqualTo(422);
        }
        assertThat(call("GET", "/api/v1/hosts/host-1/leases", token, null).statusCode()).isEqualTo(405);
        assertThat(routed()).isNull();
    }
}
