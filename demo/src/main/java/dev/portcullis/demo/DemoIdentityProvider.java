package dev.portcullis.demo;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    @Override
    public void close() {
        server.shutdown();
    }
}
