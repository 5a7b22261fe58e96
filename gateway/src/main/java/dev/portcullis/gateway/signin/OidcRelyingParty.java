package dev.portcullis.gateway.signin;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.PrivateKeyJWT;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.LogoutRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.token.OIDCTokens;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import com.nimbusds.jwt.JWTClaimsSet;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway as an OpenID Connect relying party, with the Nimbus OAuth 2.0 SDK doing the protocol:
 * discovery by issuer URL, the authorization code flow with PKCE (S256), {@code state} and
 * {@code nonce}, ID token validation against the provider's JWKS, refresh, and the provider's
 * logout URL. Every call that goes to the provider runs on {@code executor}, never on the caller's
 * thread (an event loop must never wait for the provider).
 */
public final class OidcRelyingParty {
    private static final int CONNECT_TIMEOUT_MILLIS = 3000;
    private static final int READ_TIMEOUT_MILLIS = 10_000;
    /** An access token without {@code expires_in} is taken to last this long. */
    private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(5);

    /** The provider refused or could not be asked; the message says which, in words, without any secret. */
    public static final class SignInFailedException extends RuntimeException {
        private final String code;

        SignInFailedException(String code, String message, Throwable cause) {
            super(message, cause);
            this.code = code;
        }

        /** A short reason code: {@code provider-unavailable}, {@code code-refused}, {@code id-token-invalid},
         * {@code org-not-bound} (set by the sign-in), {@code refresh-refused}. */
        public String code() {
            return code;
        }
    }

    /**
     * What the token endpoint answered, checked.
     *
     * @param idTokenClaims  the ID token's claims, or null after a refresh that brought none
     * @param tokenExpiresAt when the access token ends
     * @param refreshToken   null when the provider gave none
     * @param idToken        the serialized ID token, or null
     */
    public record Tokens(JWTClaimsSet idTokenClaims, Instant tokenExpiresAt, String refreshToken, String idToken) {}

    /** The discovered provider: its metadata and the validator of its ID tokens. */
    private record Provider(OIDCProviderMetadata metadata, IDTokenValidator validator) {}

    private final SignInSettings settings;
    private final Executor executor;
    private final Clock clock;
    private final AtomicReference<CompletableFuture<Provider>> provider = new AtomicReference<>();

    public OidcRelyingParty(SignInSettings settings, Executor executor, Clock clock) {
        this.settings = requireNonNull(settings, "settings");
        this.executor = requireNonNull(executor, "executor");
        this.clock = requireNonNull(clock, "clock");
    }

    /** Reads the discovery document now, in the background, so the first person to sign in does not wait for it. */
    public void discoverAhead() {
        provider().exceptionally(failure -> null);
    }

    /** The authorization request URL a browser is sent to. */
    public CompletableFuture<URI> authorizationUrl(URI redirectUri, String state, String nonce, String codeVerifier) {
        return provider().thenApply(p -> new AuthenticationRequest.Builder(ResponseType.CODE,
                new Scope(settings.scopes().toArray(String[]::new)), new ClientID(settings.clientId()), redirectUri)
                .endpointURI(p.metadata().getAuthorizationEndpointURI())
                .state(new State(state))
                .nonce(new Nonce(nonce))
                .codeChallenge(new CodeVerifier(codeVerifier), CodeChallengeMethod.S256)
                .build()
                .toURI());
    }

    /**
     * Trades the authorization code for tokens (sending the PKCE verifier) and checks the ID token:
     * signature by the provider's keys, issuer, audience, expiry, and that it carries {@code nonce}.
     */
    public CompletableFuture<Tokens> exchangeCode(String code, URI redirectUri, String codeVerifier, String nonce) {
        return provider().thenApplyAsync(p -> {
            AuthorizationGrant grant = new AuthorizationCodeGrant(new AuthorizationCode(code), redirectUri,
                    new CodeVerifier(codeVerifier));
            OIDCTokens tokens = tokenRequest(p, grant, "code-refused");
            if (tokens.getIDToken() == null) {
                throw new SignInFailedException("id-token-invalid", "The provider's answer has no ID token.", null);
            }
            IDTokenClaimsSet claims;
            try {
                claims = p.validator().validate(tokens.getIDToken(), new Nonce(nonce));
            } catch (BadJOSEException | JOSEException e) {
                throw new SignInFailedException("id-token-invalid", "The provider's ID token was refused: "
                        + e.getMessage(), e);
            }
            try {
                return new Tokens(claims.toJWTClaimsSet(), expiry(tokens), refresh(tokens), tokens.getIDTokenString());
            } catch (ParseException e) {
                throw new SignInFailedException("id-token-invalid", "The provider's ID token claims cannot be read.", e);
            }
        }, executor);
    }

    /** New tokens for a refresh token; fails with {@code refresh-refused} when the provider ended the grant (user removed, say). */
    public CompletableFuture<Tokens> refresh(String refreshToken) {
        return provider().thenApplyAsync(p -> {
            OIDCTokens tokens = tokenRequest(p, new RefreshTokenGrant(new RefreshToken(refreshToken)), "refresh-refused");
            String newRefresh = refresh(tokens);
            return new Tokens(null, expiry(tokens), newRefresh != null ? newRefresh : refreshToken,
                    tokens.getIDToken() == null ? null : tokens.getIDTokenString());
        }, executor);
    }

    /** The provider's logout URL (RP-initiated logout), when its discovery document names one. */
    public CompletableFuture<Optional<URI>> logoutUrl(String idToken, URI afterLogout) {
        return provider().thenApply(p -> {
            URI endSession = p.metadata().getEndSessionEndpointURI();
            if (endSession == null) {
                return Optional.<URI>empty();
            }
            JWT hint = null;
            try {
                hint = idToken == null ? null : JWTParser.parse(idToken);
            } catch (java.text.ParseException e) {
                // no hint then: the provider asks the person
            }
            return Optional.of(new LogoutRequest(endSession, hint, null, new ClientID(settings.clientId()), afterLogout,
                    null, null).toURI());
        });
    }

    /** The discovery document, read once on the executor; a failure is retried on the next call. */
    private CompletableFuture<Provider> provider() {
        CompletableFuture<Provider> current = provider.get();
        if (current != null && !current.isCompletedExceptionally()) {
            return current;
        }
        CompletableFuture<Provider> fresh = CompletableFuture.supplyAsync(this::discover, executor);
        return provider.compareAndSet(current, fresh) ? fresh : provider.get();
    }

    private Provider discover() {
        try {
            OIDCProviderMetadata metadata = OIDCProviderMetadata.resolve(new Issuer(settings.issuer().toString()),
                    CONNECT_TIMEOUT_MILLIS, READ_TIMEOUT_MILLIS);
            if (!metadata.getIssuer().getValue().equals(settings.issuer().toString())) {
                throw new SignInFailedException("provider-unavailable", "The discovery document of " + settings.issuer()
                        + " names another issuer: " + metadata.getIssuer() + ".", null);
            }
            Set<JWSAlgorithm> algorithms = new HashSet<>(metadata.getIDTokenJWSAlgs() == null
                    ? List.of(JWSAlgorithm.RS256) : metadata.getIDTokenJWSAlgs());
            algorithms.removeIf(alg -> !JWSAlgorithm.Family.SIGNATURE.contains(alg)); // no HMAC, no none
            JWKSource<SecurityContext> keys = JWKSourceBuilder.create(metadata.getJWKSetURI().toURL()).build();
            IDTokenValidator validator = new IDTokenValidator(metadata.getIssuer(), new ClientID(settings.clientId()),
                    new JWSVerificationKeySelector<>(algorithms, keys), null);
            validator.setMaxClockSkew(30);
            return new Provider(metadata, validator);
        } catch (GeneralException | IOException e) {
            throw new SignInFailedException("provider-unavailable", "The identity provider " + settings.issuer()
                    + " could not be discovered: " + e.getMessage(), e);
        }
    }

    private OIDCTokens tokenRequest(Provider p, AuthorizationGrant grant, String refusedCode) {
        URI endpoint = p.metadata().getTokenEndpointURI();
        HTTPResponse http;
        try {
            var request = new TokenRequest(endpoint, clientAuthentication(endpoint), grant).toHTTPRequest();
            request.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            request.setReadTimeout(READ_TIMEOUT_MILLIS);
            http = request.send();
        } catch (IOException e) {
            throw new SignInFailedException("provider-unavailable", "The provider's token endpoint could not be reached: "
                    + e.getMessage(), e);
        }
        try {
            TokenResponse response = OIDCTokenResponseParser.parse(http);
            if (!response.indicatesSuccess()) {
                TokenErrorResponse error = response.toErrorResponse();
                throw new SignInFailedException(refusedCode, "The provider refused the token request: "
                        + error.getErrorObject().getCode() + (error.getErrorObject().getDescription() == null ? ""
                        : " (" + error.getErrorObject().getDescription() + ")") + ".", null);
            }
            return ((OIDCTokenResponse) response.toSuccessResponse()).getOIDCTokens();
        } catch (ParseException e) {
            throw new SignInFailedException(refusedCode, "The provider's token answer cannot be read: " + e.getMessage(), e);
        }
    }

    private ClientAuthentication clientAuthentication(URI tokenEndpoint) {
        ClientID client = new ClientID(settings.clientId());
        return switch (settings.clientAuth()) {
            case SignInSettings.ClientAuth.Secret secret -> new ClientSecretBasic(client, new Secret(secret.secret()));
            case SignInSettings.ClientAuth.PrivateKeyJwt jwt -> privateKeyJwt(client, tokenEndpoint, jwt.key());
        };
    }

    private static ClientAuthentication privateKeyJwt(ClientID client, URI tokenEndpoint, JWK key) {
        try {
            return switch (key) {
                case RSAKey rsa -> new PrivateKeyJWT(client, tokenEndpoint, JWSAlgorithm.RS256, rsa.toPrivateKey(),
                        rsa.getKeyID(), null);
                case ECKey ec -> new PrivateKeyJWT(client, tokenEndpoint, ecAlgorithm(ec), ec.toPrivateKey(),
                        ec.getKeyID(), null);
                default -> throw new IllegalStateException("private_key_jwt: a " + key.getKeyType()
                        + " key (expected: RSA or EC)");
            };
        } catch (JOSEException e) {
            throw new SignInFailedException("provider-unavailable", "The client assertion cannot be signed: "
                    + e.getMessage(), e);
        }
    }

    private static JWSAlgorithm ecAlgorithm(ECKey key) {
        return switch (key.getCurve().getName()) {
            case "P-384" -> JWSAlgorithm.ES384;
            case "P-521" -> JWSAlgorithm.ES512;
            default -> JWSAlgorithm.ES256;
        };
    }

    private Instant expiry(OIDCTokens tokens) {
        long lifetime = tokens.getAccessToken() == null ? 0 : tokens.getAccessToken().getLifetime();
        return clock.instant().plus(lifetime > 0 ? Duration.ofSeconds(lifetime) : DEFAULT_TOKEN_LIFETIME);
    }

    private static String refresh(OIDCTokens tokens) {
        return tokens.getRefreshToken() == null ? null : tokens.getRefreshToken().getValue();
    }
}
