package dev.portcullis.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.portcullis.gateway.signin.SignInSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code signin} section: what it reads, and each mistake named with its key. */
class SignInSectionTest {
    private static final String BASE = """
            listen: ["127.0.0.1:8443"]
            baseDomains: [ws.example.com]
            tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
            identity:
              issuers: [{issuer: "https://idp.example.com/realms/dev", audience: portcullis, jwksUrl: "https://idp.example.com/realms/dev/certs", algorithms: [RS256]}]
            """;

    @TempDir
    Path folder;

    private GatewayConfig load(String signin) throws Exception {
        Path file = folder.resolve("gateway.yaml");
        // The ranges last, so the lines of the section under test keep their numbers.
        Files.writeString(file, BASE + signin + (signin.endsWith("\n") ? "" : "\n") + "workspaceAddressRanges: [10.0.0.0/8]\n");
        return GatewayConfigFile.load(file);
    }

    @Test
    void readsTheSectionWithSecretFileAndSessionTimes() throws Exception {
        Files.writeString(folder.resolve("secret"), "s3cret\n");
        SignInSettings settings = load("""
                signin:
                  issuer: https://idp.example.com/realms/dev
                  clientId: portcullis
                  clientSecretFile: secret
                  scopes: [groups]
                  keyFile: signin-key.json
                  session: {idleTimeout: 30m, lifetime: 12h}
                """).signIn().orElseThrow();

        assertThat(settings.clientAuth()).isEqualTo(new SignInSettings.ClientAuth.Secret("s3cret"));
        assertThat(settings.scopes()).containsExactly("openid", "groups");
        assertThat(settings.loginHost("ws.example.com")).isEqualTo("login.ws.example.com");
        assertThat(settings.idleTimeout()).isEqualTo(Duration.ofMinutes(30));
        assertThat(settings.lifetime()).isEqualTo(Duration.ofHours(12));
        assertThat(settings.keyFile()).contains(folder.resolve("signin-key.json"));
    }

    @Test
    void readsAPrivateKeyForPrivateKeyJwt() throws Exception {
        Files.writeString(folder.resolve("client.jwk"), new ECKeyGenerator(Curve.P_256).keyID("c1").generate().toJSONString());

        SignInSettings settings = load("""
                signin: {issuer: "https://idp.example.com/realms/dev", clientId: portcullis, privateKeyJwtFile: client.jwk}
                """).signIn().orElseThrow();

        assertThat(settings.clientAuth()).isInstanceOf(SignInSettings.ClientAuth.PrivateKeyJwt.class);
    }

    @Test
    void aPublicKeyForPrivateKeyJwtIsRefused() throws Exception {
        Files.writeString(folder.resolve("client.jwk"),
                new ECKeyGenerator(Curve.P_256).keyID("c1").generate().toPublicJWK().toJSONString());

        assertThatThrownBy(() -> load("""
                signin: {issuer: "https://idp.example.com/realms/dev", clientId: portcullis, privateKeyJwtFile: client.jwk}
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("has no private part");
    }

    @Test
    void twoClientCredentialsAreRefused() {
        assertThatThrownBy(() -> load("""
                signin: {issuer: "https://idp.example.com/realms/dev", clientId: portcullis, clientSecret: a, clientSecretFile: b}
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("signin: 2 of clientSecret");
    }

    @Test
    void aPlainHttpIssuerElsewhereThanLoopbackIsRefused() {
        assertThatThrownBy(() -> load("""
                signin: {issuer: "http://idp.example.com", clientId: portcullis, clientSecret: a}
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("signin.issuer: http://idp.example.com");
    }

    @Test
    void aLoginHostLabelThatLooksLikeAPortHostIsRefused() {
        assertThatThrownBy(() -> load("""
                signin: {issuer: "https://idp.example.com/realms/dev", clientId: portcullis, clientSecret: a, loginHostLabel: 3000-x}
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("signin.loginHostLabel: '3000-x'");
    }

    @Test
    void signInWithoutIdentityIsRefused() throws Exception {
        Path file = folder.resolve("gateway.yaml");
        Files.writeString(file, """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                insecureOpenAccess: true
                signin: {issuer: "https://idp.example.com/realms/dev", clientId: portcullis, clientSecret: a}
                workspaceAddressRanges: [10.0.0.0/8]
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("signin: set without identity");
    }
}
