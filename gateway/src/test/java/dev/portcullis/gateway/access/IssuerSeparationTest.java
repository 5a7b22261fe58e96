package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.policy.ShareLevel;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two real issuers on one OIDC provider (mock-oauth2-server's issuer ids {@code idp-a} and
 * {@code idp-b}): A is bound to acme and may carry the admin claim, B is bound to globex only and
 * may not. The demo workspace belongs to alice of acme, written bare, so she is A's alice.
 */
class IssuerSeparationTest {
    private static final String ADMIN_CLAIM = "portcullis_admin";
    private static final String POLICY = """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing: {maxLevel: organization}
            """;

    /** A third issuer whose tokens the test signs itself, to send claims of the wrong JSON type. */
    private static final String SELF_SIGNED = "https://self-signed.example";
    private static final com.nimbusds.jose.jwk.ECKey SELF_SIGNING_KEY = ecKey();

    private static com.nimbusds.jose.jwk.ECKey ecKey() {
        try {
            return new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("c1").generate();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MockOAuth2Server provider;

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure((config, state) -> config.identity(identity())
                    .access(new AccessSettings(Optional.of(state.resolve("access")), ShareLevel.PUBLIC, ADMIN_CLAIM)))
            .resetAccessAfterEachTest()
            .build();

    private GatewayFixture gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startProvider() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
    }

    @AfterAll
    static void stopProvider() {
        provider.shutdown();
    }

    private static IdentityVerifierConfig identity() {
        return IdentityVerifierConfig.builder()
                .issuer(issuer("idp-a").alias("a").orgs("acme").admin(true).build())
                .issuer(issuer("idp-b").alias("b").orgs("globex").admin(false).build())
                .issuer(IssuerConfig.builder(SELF_SIGNED, "portcullis").alias("c").orgs("initech")
                        .staticKeys(new com.nimbusds.jose.jwk.JWKSet(SELF_SIGNING_KEY.toPublicJWK()))
                        .algorithms(JWSAlgorithm.ES256).build())
                .build();
    }

    @BeforeEach
    void start() {
        gateway = GATEWAY.fixture();
        assertThat(gateway.server().accessState().orElseThrow().putPolicy("acme", "acme.yaml", POLICY)).isEmpty();
    }

    private static IssuerConfig.Builder issuer(String id) {
        return IssuerConfig.builder(provider.issuerUrl(id).toString(), "portcullis")
                .jwks(provider.jwksUrl(id).uri()).algorithms(JWSAlgorithm.RS256);
    }

    /** A token from issuer {@code id}'s token endpoint for {@code user}, with {@code org} (or none) and the admin claim if asked. */
    private String token(String id, String user, String org, boolean admin) throws Exception {
        Map<String, Object> claims = new HashMap<>();
        if (org != null) {
            claims.put("org", org);
        }
        if (admin) {
            claims.put(ADMIN_CLAIM, true);
        }
        provider.enqueueCallback(new DefaultOAuth2TokenCallback(id, user, "JWT", List.of("portcullis"), claims, 300));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(provider.tokenEndpointUrl(id).uri())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + user
                        + "&client_secret=s&scope=openid"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new ObjectMapper().readTree(response.body()).get("access_token").asText();
    }

    private HttpResponse<String> get(String token) throws Exception {
        return gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> admin(String method, String path, String token, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.adminUrl(path)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aliceOfTheOrgsIssuerOwnsTheWorkspaceAndAliceOfAnotherIssuerDoesNot() throws Exception {
        assertThat(get(token("idp-a", "alice", "acme", false)).statusCode()).isEqualTo(200);

        HttpResponse<String> impostor = get(token("idp-b", "alice", null, false));

        assertThat(impostor.statusCode()).isEqualTo(403);
        assertThat(impostor.body()).contains("no-share").doesNotContain("owner-match");
    }

    @Test
    void aTokenNamingAnOrgItsIssuerIsNotBoundToIsRefused() throws Exception {
        HttpResponse<String> answer = get(token("idp-b", "alice", "acme", false));

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.body()).contains("org-not-bound");
    }

    @Test
    void anotherIssuersAdminTokenForAcmeCannotReplaceAcmesPolicy() throws Exception {
        String forged = token("idp-b", "mallory", "acme", true);

        HttpResponse<String> put = admin("PUT", "/api/v1/policies/acme", forged, POLICY.replace("organization", "public"));

        assertThat(put.statusCode()).isEqualTo(401);
        assertThat(put.body()).contains("org-not-bound");
        assertThat(gateway.server().accessState().orElseThrow().current().policyOf("acme").maxLevel())
                .isEqualTo(ShareLevel.ORGANIZATION);
    }

    @Test
    void theAdminClaimFromAnIssuerNotMarkedAdminIsRefusedForItsOwnOrgToo() throws Exception {
        HttpResponse<String> put = admin("PUT", "/api/v1/policies/globex", token("idp-b", "mallory", "globex", true),
                POLICY.replace("acme", "globex"));

        assertThat(put.statusCode()).isEqualTo(403);
        assertThat(put.body()).contains("issuer-not-admin");
        assertThat(gateway.server().accessState().orElseThrow().current().policyOf("globex")).isNull();
    }

    @Test
    void theAdminIssuersAdminStillAppliesAcmesPolicy() throws Exception {
        HttpResponse<String> put = admin("PUT", "/api/v1/policies/acme", token("idp-a", "carol", "acme", true),
                POLICY.replace("organization", "public"));

        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    }

    @Test
    void sharesNameUsersWithTheirIssuer() throws Exception {
        String alice = token("idp-a", "alice", "acme", false);
        HttpResponse<String> put = admin("PUT", "/api/v1/shares/" + GatewayFixture.WORKSPACE + "/" + gateway.workspacePort(),
                alice, "{\"level\": \"users\", \"users\": [\"bob\", \"carol@b\"]}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        // A bare name is written with the org's issuer, so the record stays unambiguous.
        assertThat(put.body()).contains("\"users\":[\"bob@a\",\"carol@b\"]");

        assertThat(get(token("idp-a", "bob", "acme", false)).statusCode()).isEqualTo(200);
        assertThat(get(token("idp-b", "bob", null, false)).statusCode()).isEqualTo(403);
        assertThat(get(token("idp-b", "carol", "globex", false)).statusCode()).isEqualTo(200);
        assertThat(get(token("idp-a", "carol", "acme", false)).statusCode()).isEqualTo(403);
    }

    @Test
    void aShareNamingAnUnknownIssuerIsRefusedAndChangesNothing() throws Exception {
        HttpResponse<String> put = admin("PUT", "/api/v1/shares/" + GatewayFixture.WORKSPACE + "/" + gateway.workspacePort(),
                token("idp-a", "alice", "acme", false), "{\"level\": \"users\", \"users\": [\"bob@nowhere\"]}");

        assertThat(put.statusCode()).isEqualTo(422);
        assertThat(put.body()).contains("bob@nowhere").contains("[a, b, c]");
        assertThat(gateway.server().accessState().orElseThrow().current().sharesOf(GatewayFixture.WORKSPACE).all()).isEmpty();
    }

    @Test
    void aTokenWhoseSubIsANumberIsRefusedWith401() throws Exception {
        com.nimbusds.jwt.SignedJWT numeric = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader.Builder(JWSAlgorithm.ES256).keyID("c1").build(),
                new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer(SELF_SIGNED).audience("portcullis").claim("sub", 42)
                        .expirationTime(new java.util.Date(System.currentTimeMillis() + 300_000)).build());
        numeric.sign(new com.nimbusds.jose.crypto.ECDSASigner(SELF_SIGNING_KEY));

        HttpResponse<String> answer = get(numeric.serialize());

        assertThat(answer.statusCode()).isEqualTo(401);
        assertThat(answer.body()).contains("missing-user");
    }
}
