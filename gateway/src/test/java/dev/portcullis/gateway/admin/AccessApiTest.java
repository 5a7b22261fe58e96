package dev.portcullis.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.policy.ShareLevel;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The policy and share API on the admin listener, through a real gateway: who may do what, and what
 * a bad input gets. The demo workspace belongs to alice in acme.
 */
class AccessApiTest {
    private static final String POLICY = """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing:
              maxLevel: organization
              portRules:
                - {name: databases, ports: [5432], maxLevel: owner}
            """;

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure((config, state) -> config
                    .identity(IdentityVerifierConfig.builder()
                            .issuer(DevelopmentIssuer.loadOrCreate(state.resolve("issuer")).issuerConfig()).build())
                    .access(new AccessSettings(Optional.of(state.resolve("access")), ShareLevel.PUBLIC, DevelopmentIssuer.ADMIN_CLAIM)))
            .resetAccessAfterEachTest()
            .build();

    private Path state;
    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        state = GATEWAY.stateDir();
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        gateway = GATEWAY.fixture();
    }

    private String token(String user, String org, boolean admin) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), admin, Duration.ofMinutes(5)));
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.adminUrl(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String sharePath(int port) {
        return "/api/v1/shares/" + GatewayFixture.WORKSPACE + "/" + port;
    }

    @Test
    void nothingIsAnonymous() throws Exception {
        for (String[] call : new String[][] {{"GET", "/api/v1/policies/acme"}, {"PUT", "/api/v1/policies/acme"},
                {"GET", "/api/v1/shares/demo"}, {"PUT", "/api/v1/shares/demo/3000"}, {"POST", "/api/v1/explain"}}) {
            HttpResponse<String> answer = call(call[0], call[1], null, "{}");
            assertThat(answer.statusCode()).as(call[0] + " " + call[1]).isEqualTo(401);
            assertThat(answer.headers().firstValue("www-authenticate")).isPresent();
        }
        assertThat(call("GET", "/api/v1/policies/acme", token("alice", "acme", true) + "x", null).body())
                .contains("bad-signature");
    }

    @Test
    void anAdminAppliesAPolicyThatIsKeptAtomicallyAndReadBackAsWritten() throws Exception {
        HttpResponse<String> put = call("PUT", "/api/v1/policies/acme?source=acme-policy.yaml", token("carol", "acme", true), POLICY);

        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(Files.readString(state.resolve("access/policies/acme.yaml"))).isEqualTo(POLICY);
        assertThat(call("GET", "/api/v1/policies/acme", token("carol", "acme", true), null).body()).isEqualTo(POLICY);
        assertThat(AccessState.open(state.resolve("access"), AccessSettings.DEFAULTS.fallbackPolicy()).current()
                .policyOf("acme").maxLevel()).isEqualTo(ShareLevel.ORGANIZATION);
    }

    @Test
    void aPolicyWithAnErrorNamesFileLineAndFieldAndChangesNothing() throws Exception {
        String admin = token("carol", "acme", true);
        call("PUT", "/api/v1/policies/acme", admin, POLICY);

        HttpResponse<String> put = call("PUT", "/api/v1/policies/acme?source=acme-policy.yaml", admin,
                POLICY.replace("maxLevel: organization", "maxLevel: wide"));

        assertThat(put.statusCode()).isEqualTo(422);
        assertThat(put.body()).contains("\"file\":\"acme-policy.yaml\"").contains("\"line\":5")
                .contains("\"field\":\"sharing.maxLevel\"");
        assertThat(Files.readString(state.resolve("access/policies/acme.yaml"))).isEqualTo(POLICY);
        assertThat(gateway.server().accessState().orElseThrow().current().policyOf("acme").maxLevel())
                .isEqualTo(ShareLevel.ORGANIZATION);
    }

    @Test
    void onlyAnAdminOfTheOrgManagesItsPolicy() throws Exception {
        assertThat(call("PUT", "/api/v1/policies/acme", token("bob", "acme", false), POLICY).statusCode()).isEqualTo(403);
        assertThat(call("PUT", "/api/v1/policies/acme", token("mallory", "globex", true), POLICY).statusCode()).isEqualTo(403);
        assertThat(call("DELETE", "/api/v1/policies/acme", token("mallory", "globex", true), null).statusCode()).isEqualTo(403);
        assertThat(call("PUT", "/api/v1/policies/globex", token("mallory", "globex", true), POLICY).statusCode())
                .as("a policy naming another org than its path").isEqualTo(422);
        assertThat(Files.exists(state.resolve("access/policies/acme.yaml"))).isFalse();
    }

    @Test
    void theOwnerSharesAPortAndIsToldWhatTheOrgAllows() throws Exception {
        call("PUT", "/api/v1/policies/acme", token("carol", "acme", true), POLICY);

        HttpResponse<String> share = call("PUT", sharePath(5432), token("alice", "acme", false), "{\"level\":\"organization\"}");

        assertThat(share.statusCode()).as(share.body()).isEqualTo(200);
        assertThat(share.body()).contains("\"effectiveLevel\":\"owner\"").contains("at most 'owner' on port 5432");
        HttpResponse<String> list = call("GET", "/api/v1/shares/demo", token("alice", "acme", false), null);
        assertThat(list.body()).contains("\"port\":5432").contains("\"level\":\"organization\"");
    }

    @Test
    void someoneElseCannotShareTheOwnersPortButAnOrgAdminCan() throws Exception {
        assertThat(call("PUT", sharePath(3000), token("bob", "acme", false), "{\"level\":\"public\"}").statusCode()).isEqualTo(403);
        assertThat(call("PUT", sharePath(3000), token("mallory", "globex", true), "{\"level\":\"public\"}").statusCode()).isEqualTo(403);
        assertThat(call("GET", "/api/v1/shares/demo", token("bob", "acme", false), null).statusCode()).isEqualTo(403);
        assertThat(gateway.server().accessState().orElseThrow().current().sharesOf("demo").all()).isEmpty();

        assertThat(call("PUT", sharePath(3000), token("carol", "acme", true), "{\"level\":\"public\"}").statusCode()).isEqualTo(200);
        assertThat(call("DELETE", sharePath(3000), token("carol", "acme", true), null).statusCode()).isEqualTo(204);
    }

    @Test
    void theOwnerAllowsAnotherOriginOnAPortAndReadsItBackNormalized() throws Exception {
        String alice = token("alice", "acme", false);

        HttpResponse<String> share = call("PUT", sharePath(8080), alice,
                "{\"level\":\"owner\",\"allowedOrigins\":[\"HTTPS://3000-demo.ws.localhost:443\"]}");

        assertThat(share.statusCode()).as(share.body()).isEqualTo(200);
        assertThat(call("GET", sharePath(8080), alice, null).body())
                .contains("\"allowedOrigins\":[\"https://3000-demo.ws.localhost\"]");
        assertThat(gateway.server().accessState().orElseThrow().current().sharesOf("demo").forPort(8080)
                .allowedOrigins()).containsExactly("https://3000-demo.ws.localhost");
    }

    @Test
    void badSharesAre422AndChangeNothing() throws Exception {
        String alice = token("alice", "acme", false);
        String[] bodies = {
                "{\"level\":\"wide\"}",
                "{}",
                "{\"level\":\"users\"}",
                "{\"level\":\"organization\",\"expires\":\"" + Instant.now().minusSeconds(60) + "\"}",
                "{\"level\":\"organization\",\"expires\":\"tomorrow\"}",
                "{\"level\":\"users\",\"users\":[42]}",
                "{\"level\":\"owner\",\"allowedOrigins\":[\"null\"]}",
                "{\"level\":\"owner\",\"allowedOrigins\":[\"https://*.ws.example.com\"]}",
                "{\"level\":\"owner\",\"allowedOrigins\":\"https://3000-demo.ws.localhost\"}",
        };
        for (String body : bodies) {
            assertThat(call("PUT", sharePath(3000), alice, body).statusCode()).as(body).isEqualTo(422);
        }
        assertThat(call("PUT", sharePath(3000), alice, "not json").statusCode()).isEqualTo(400);
        assertThat(call("PUT", sharePath(70000), alice, "{\"level\":\"public\"}").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/api/v1/shares/Bad_Id/3000", alice, "{\"level\":\"public\"}").statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/api/v1/shares/nobody/3000", alice, "{\"level\":\"public\"}").statusCode()).isEqualTo(404);
        assertThat(gateway.server().accessState().orElseThrow().current().sharesOf("demo").all()).isEmpty();
    }

    @Test
    void theOwnerAndAnOrgAdminListTheWorkspacesPortsAndNobodyElse() throws Exception {
        call("PUT", sharePath(4000), token("alice", "acme", false), "{\"level\":\"organization\"}");

        HttpResponse<String> owner = call("GET", "/api/v1/ports/demo", token("alice", "acme", false), null);
        HttpResponse<String> admin = call("GET", "/api/v1/ports/demo", token("carol", "acme", true), null);

        assertThat(owner.statusCode()).as(owner.body()).isEqualTo(200);
        // A static route: nobody reports what listens, so the shared ports are listed, listening unknown.
        assertThat(owner.body()).contains("\"workspace\":\"demo\"").contains("\"listeningKnown\":false")
                .contains("\"port\":4000").contains("\"url\":\"https://4000-demo." + GatewayFixture.BASE_DOMAIN + "/\"")
                .contains("\"shareLevel\":\"organization\"").contains("\"listening\":null");
        assertThat(admin.statusCode()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/ports/demo", token("bob", "acme", false), null).statusCode()).isEqualTo(403);
        assertThat(call("GET", "/api/v1/ports/demo", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/api/v1/ports/nosuch", token("alice", "acme", false), null).statusCode()).isEqualTo(404);
        assertThat(call("PUT", "/api/v1/ports/demo", token("alice", "acme", false), "{}").statusCode()).isEqualTo(405);
    }

    @Test
    void explainGivesTheDecisionAndEveryReason() throws Exception {
        call("PUT", "/api/v1/policies/acme", token("carol", "acme", true), POLICY);
        call("PUT", sharePath(5432), token("alice", "acme", false), "{\"level\":\"organization\"}");
        String url = "https://5432-demo.ws.localhost/db";

        HttpResponse<String> answer = call("POST", "/api/v1/explain", token("carol", "acme", true),
                "{\"url\":\"" + url + "\",\"user\":\"bob\",\"org\":\"acme\"}");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("\"decision\":\"deny\"")
                .contains("\"reasons\":[\"share-org\",\"port-max-owner:databases\",\"not-owner\"]");
        assertThat(call("POST", "/api/v1/explain", token("bob", "acme", false), "{\"url\":\"" + url + "\"}").statusCode())
                .as("only the owner or an org admin may ask").isEqualTo(403);
    }

    @Test
    void theDevelopmentIssuersKeysAreServed() throws Exception {
        HttpResponse<String> keys = http.send(HttpRequest.newBuilder(gateway.adminUrl(AdminServer.DEV_ISSUER_JWKS)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(keys.statusCode()).isEqualTo(200);
        assertThat(keys.body()).contains("\"kty\":\"EC\"").doesNotContain("\"d\":");
    }

    @Test
    void unknownApiPathsAre404() throws Exception {
        assertThat(call("GET", "/api/v1/nothing", token("carol", "acme", true), null).statusCode()).isEqualTo(404);
    }
}
