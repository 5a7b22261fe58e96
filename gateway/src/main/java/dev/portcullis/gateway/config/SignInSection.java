package dev.portcullis.gateway.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.nimbusds.jose.jwk.JWK;
import dev.portcullis.gateway.signin.SignInSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Optional;

/** The {@code signin} section of the gateway config: browser sign-in with an OpenID Connect provider. */
public final class SignInSection {
    @JsonProperty("issuer")
    public String issuer;
    @JsonProperty("clientId")
    public String clientId;
    /** The client secret itself; prefer {@code clientSecretFile}. */
    @JsonProperty("clientSecret")
    public String clientSecret;
    @JsonProperty("clientSecretFile")
    public String clientSecretFile;
    /** A private JWK (RSA or EC) for {@code private_key_jwt} instead of a secret. */
    @JsonProperty("privateKeyJwtFile")
    public String privateKeyJwtFile;
    @JsonProperty("scopes")
    public java.util.List<String> scopes;
    @JsonProperty("loginHostLabel")
    public String loginHostLabel;
    @JsonProperty("publicPort")
    public Integer publicPort;
    @JsonProperty("keyFile")
    public String keyFile;
    @JsonProperty("stateFile")
    public String stateFile;
    @JsonProperty("session")
    public Session session;

    public static final class Session {
        @JsonProperty("idleTimeout")
        public GatewayConfigFile.ConfigDuration idleTimeout;
        @JsonProperty("lifetime")
        public GatewayConfigFile.ConfigDuration lifetime;
    }

    SignInSettings toSettings(Path folder) {
        if (issuer == null || clientId == null) {
            throw new IllegalArgumentException("signin: issuer and clientId are required");
        }
        int secrets = (clientSecret != null ? 1 : 0) + (clientSecretFile != null ? 1 : 0) + (privateKeyJwtFile != null ? 1 : 0);
        if (secrets != 1) {
            throw new IllegalArgumentException("signin: " + secrets + " of clientSecret, clientSecretFile and"
                    + " privateKeyJwtFile (expected: exactly one: how the gateway authenticates to the provider)");
        }
        URI issuerUri;
        try {
            issuerUri = new URI(issuer);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("signin.issuer: '" + issuer + "' is not a URL: " + e.getMessage(), e);
        }
        SignInSettings.ClientAuth auth;
        try {
            if (clientSecret != null) {
                auth = new SignInSettings.ClientAuth.Secret(clientSecret);
            } else if (clientSecretFile != null) {
                auth = new SignInSettings.ClientAuth.Secret(
                        Files.readString(folder.resolve(clientSecretFile), StandardCharsets.UTF_8).strip());
            } else {
                auth = new SignInSettings.ClientAuth.PrivateKeyJwt(
                        JWK.parse(Files.readString(folder.resolve(privateKeyJwtFile), StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("signin: cannot read the client credential: " + e.getMessage(), e);
        } catch (ParseException e) {
            throw new IllegalArgumentException("signin.privateKeyJwtFile: not a JWK: " + e.getMessage(), e);
        }
        SignInSettings settings = SignInSettings.of(issuerUri, clientId, auth);
        settings = new SignInSettings(settings.issuer(), settings.clientId(), auth,
                scopes == null ? settings.scopes() : scopes,
                loginHostLabel == null ? settings.loginHostLabel() : loginHostLabel,
                session == null || session.idleTimeout == null ? settings.idleTimeout() : session.idleTimeout.value(),
                session == null || session.lifetime == null ? settings.lifetime() : session.lifetime.value(),
                Optional.ofNullable(keyFile).map(folder::resolve), Optional.ofNullable(stateFile).map(folder::resolve),
                publicPort == null ? 0 : publicPort, settings.clock());
        return settings;
    }
}
