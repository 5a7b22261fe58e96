package dev.portcullis.gateway.signin;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relying party against a real provider (mock-oauth2-server): the code exchange's checks, each refused. */
class OidcRelyingPartyTest {
    private static final URI REDIRECT = URI.create("https://login.ws.localhost/callback");

    private MockOAuth2Server provider;
    private ExecutorService executor;
    private OidcRelyingParty party;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeEach
    void start() throws Exception {
        provider = new MockOAuth2Server();
        provider.start(InetAddress.getByName("127.0.0.1"), 0);
        executor = Executors.newFixedThreadPool(2);
        // The provider's first answer can take seconds on a busy machine (its templates and JSON warm up).
        java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                provider.wellKnownUrl("corp").uri()).timeout(Duration.ofSeconds(60)).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        party = new OidcRelyingParty(SignInSettings.of(provider.issuerUrl("corp").uri(), "portcullis",
                new SignInSettings.ClientAuth.Secret("secret")), executor, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        executor.shutdownNow();
        provider.shutdown();
    }

    /** The code the provider sends back for an authorization request with this nonce and verifier. */
    private String code(String nonce, String verifier) throws Exception {
        provider.enqueueCallback(new DefaultOAuth2TokenCallback("corp", "alice", "JWT", List.of("portcullis"),
                Map.of("org", "acme"), 300));
        URI authorize = party.authorizationUrl(REDIRECT, "state-1", nonce, verifier).get();
        assertThat(authorize.getQuery()).contains("code_challenge_method=S256").contains("nonce=" + nonce)
                .contains("state=state-1");
        HttpResponse<Void> answer = http.send(HttpRequest.newBuilder(authorize).build(), HttpResponse.BodyHandlers.discarding());
        URI back = URI.create(answer.headers().firstValue("location").orElseThrow());
        assertThat(back.getQuery()).contains("state=state-1");
        return back.getQuery().replaceAll(".*code=([^&]+).*", "$1");
    }

    private static String failureCode(Throwable thrown) {
        Throwable cause = thrown instanceof CompletionException || thrown instanceof java.util.concurrent.ExecutionException
                          ? thrown.getCause() : thrown;
        return ((OidcRelyingParty.SignInFailedException) cause).code();
    }

    @Test
    void theRightVerifierAndNonceSignIn() throws Exception {
        String verifier = new CodeVerifier().getValue();
        OidcRelyingParty.Tokens tokens = party.exchangeCode(code("n-1", verifier), REDIRECT, verifier, "n-1").get();

        assertThat(tokens.idTokenClaims().getSubject()).isEqualTo("alice");
        assertThat(tokens.refreshToken()).isNotNull();
        OidcRelyingParty.Tokens renewed = party.refresh(tokens.refreshToken()).get();
        assertThat(renewed.tokenExpiresAt()).isAfterOrEqualTo(tokens.tokenExpiresAt());
        assertThat(tokens.idTokenClaims().getStringClaim("org")).isEqualTo("acme");
        assertThat(tokens.tokenExpiresAt()).isAfter(java.time.Instant.now().plus(Duration.ofMinutes(4)));
    }

    @Test
    void privateKeyJwtAuthenticatesTheClientAtTheTokenEndpoint() throws Exception {
        party = new OidcRelyingParty(SignInSettings.of(provider.issuerUrl("corp").uri(), "portcullis",
                new SignInSettings.ClientAuth.PrivateKeyJwt(new com.nimbusds.jose.jwk.gen.ECKeyGenerator(
                        com.nimbusds.jose.jwk.Curve.P_256).keyID("client-1").generate())), executor, Clock.systemUTC());
        String verifier = new CodeVerifier().getValue();

        OidcRelyingParty.Tokens tokens = party.exchangeCode(code("n-2", verifier), REDIRECT, verifier, "n-2").get();

        assertThat(tokens.idTokenClaims().getSubject()).isEqualTo("alice");
        // The provider saw a client assertion, not a secret.
        var tokenRequest = java.util.stream.Stream.generate(() -> provider.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS))
                .takeWhile(java.util.Objects::nonNull).filter(request -> request.getPath() != null
                        && request.getPath().endsWith("/token")).findFirst().orElseThrow();
        assertThat(tokenRequest.getBody().readUtf8()).contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                + "client-assertion-type%3Ajwt-bearer").contains("client_assertion=");
    }

    @Test
    void aPkceMismatchIsRefusedByTheProvider() throws Exception {
        String code = code("n-1", new CodeVerifier().getValue());

        var exchange = party.exchangeCode(code, REDIRECT, new CodeVerifier().getValue(), "n-1");

        assertThat(exchange).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .satisfies(thrown -> assertThat(failureCode(thrown)).isEqualTo("code-refused"));
    }

    @Test
    void aNonceMismatchIsRefused() throws Exception {
        String verifier = new CodeVerifier().getValue();
        String code = code("n-1", verifier);

        var exchange = party.exchangeCode(code, REDIRECT, verifier, "another-nonce");

        assertThat(exchange).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .satisfies(thrown -> assertThat(failureCode(thrown)).isEqualTo("id-token-invalid"));
    }

    @Test
    void anUnreachableProviderIsReportedAsSuch() {
        OidcRelyingParty nowhere = new OidcRelyingParty(SignInSettings.of(URI.create("http://127.0.0.1:1/none"),
                "portcullis", new SignInSettings.ClientAuth.Secret("secret")), executor, Clock.systemUTC());

        assertThat(nowhere.authorizationUrl(REDIRECT, "s", "n", new CodeVerifier().getValue()))
                .failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .satisfies(thrown -> assertThat(failureCode(thrown)).isEqualTo("provider-unavailable"));
    }
}
