package dev.portcullis.demo;

import com.nimbusds.jose.JWSAlgorithm;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;

/**
 * The demo's identity provider: mock-oauth2-server, a real OpenID Connect server (discovery, code
 * flow with PKCE, ID tokens, refresh, logout), with its interactive login and a page of ours where
 * you pick alice, bob or eve. It listens on loopback only. Never a production provider.
 */
final class DemoIdentityProvider implements AutoCloseable {
    static final String ISSUER_ID = "demo";
    static final String CLIENT_ID = "portcullis-demo";
    static final String CLIENT_SECRET = "demo-secret";
    /**
     * How records name the demo's people ({@code bob@demo}). The development issuer names the same
     * people ({@code ./portcullis token --user alice} is the alice who signs in here), so it shares the alias.
     */
    static final String ALIAS = "demo";
    /** The orgs of the login page's people (alice and bob of acme, eve of globex). */
    static final String[] ORGS = {"acme", "globex"};

    private final MockOAuth2Server server;

    private DemoIdentityProvider(MockOAuth2Server server) {
        this.server = server;
    }

    /** Starts on {@code port} of loopback (0: any free port); the login page is copied into {@code folder}. */
    static DemoIdentityProvider start(Path folder, int port) throws IOException {
        Files.createDirectories(folder);
        Path page = folder.resolve("login.html");
        try (InputStream in = DemoIdentityProvider.class.getResourceAsStream("login.html")) {
            if (in == null) {
                throw new IOException("the demo's login page is missing from the jar");
            }
            Files.copy(in, page, StandardCopyOption.REPLACE_EXISTING);
        }
        MockOAuth2Server server = new MockOAuth2Server(new OAuth2Config(true, page.toString()));
        server.start(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port);
        return new DemoIdentityProvider(server);
    }

    /** The issuer URL: {@code http://127.0.0.1:<port>/demo} (http to loopback only). */
    URI issuer() {
        return server.issuerUrl(ISSUER_ID).uri();
    }

    /**
     * The gateway's entry for this provider: its ID tokens at sign-in (and its access tokens, if
     * anyone sends one) are mapped through it. Not an admin issuer: anyone can edit the login page's claims.
     */
    IssuerConfig issuerConfig() {
        return IssuerConfig.builder(issuer().toString(), CLIENT_ID)
                .jwks(server.jwksUrl(ISSUER_ID).uri())
                .algorithms(JWSAlgorithm.RS256)
                .alias(ALIAS)
                .orgs(ORGS)
                .admin(false)
                .build();
    }

    /**
     * The demo's two issuers of one set of people: this provider, where browsers sign in, and the
     * development issuer of the command-line tokens ({@code sameUsersAs}: the same orgs, an admin
     * issuer), so the alice of the printed curl line is the alice who signs in (docs/identity.md).
     */
    IdentityVerifierConfig identityWith(DevelopmentIssuer developmentIssuer) {
        return IdentityVerifierConfig.builder()
                .issuer(issuerConfig())
                .issuer(developmentIssuer.issuerConfig().bound(Set.of(ORGS), true).namingTheSameUsersAs(ALIAS))
                .build();
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
