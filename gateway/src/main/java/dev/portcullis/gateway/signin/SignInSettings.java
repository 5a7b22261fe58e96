package dev.portcullis.gateway.signin;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWK;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Browser sign-in with an OpenID Connect provider (the {@code signin} config section).
 *
 * @param issuer          the provider's issuer URL; its discovery document is read from
 *                        {@code <issuer>/.well-known/openid-configuration}
 * @param clientId        this gateway's client at the provider
 * @param clientAuth      how the gateway proves it is that client at the token endpoint
 * @param scopes          what is asked for; {@code openid} is always among them
 * @param loginHostLabel  the login host of base domain {@code d} is {@code <label>.d}: the one redirect URI
 *                        the provider knows is {@code https://<label>.d[:port]/callback}
 * @param idleTimeout     a session unused this long ends
 * @param lifetime        a session ends this long after sign-in, renewed or not
 * @param keyFile         the key that signs return-to links and seals refresh tokens (made on first use,
 *                        mode 0600; give every gateway the same file); empty: a new key per process
 * @param stateFile       where sessions live when the gateway has no store: an embedded store file;
 *                        empty: in memory (lost at restart)
 * @param publicPort      the port browsers use to reach the gateway; 0: the port in the request's Host
 *                        (browsers send it unless it is 443)
 * @param clock           what every sign-in time is read from (return-to links, logins, tickets, sessions);
 *                        not in the config file: the system clock, or a test's own
 */
public record SignInSettings(URI issuer, String clientId, ClientAuth clientAuth, List<String> scopes,
                             String loginHostLabel, Duration idleTimeout, Duration lifetime, Optional<Path> keyFile,
                             Optional<Path> stateFile, int publicPort, Clock clock) {
    public static final String DEFAULT_LOGIN_HOST_LABEL = "login";
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(8);
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
    public static final List<String> DEFAULT_SCOPES = List.of("openid", "profile", "email");

    /** How the gateway authenticates to the token endpoint. */
    public sealed interface ClientAuth {
        /** {@code client_secret_basic}. */
        record Secret(String secret) implements ClientAuth {
            public Secret {
                requireNonNull(secret, "secret");
                if (secret.isEmpty()) {
                    throw new IllegalArgumentException("signin.clientSecret: empty (expected: the client's secret)");
                }
            }

            @Override
            public String toString() {
                return "client_secret_basic";
            }
        }

        /** {@code private_key_jwt}: an assertion signed with this private key (RSA or EC); the provider has its public half. */
        record PrivateKeyJwt(JWK key) implements ClientAuth {
            public PrivateKeyJwt {
                requireNonNull(key, "key");
                if (!key.isPrivate()) {
                    throw new IllegalArgumentException("signin.privateKeyJwt.keyFile: the key " + key.getKeyID()
                            + " has no private part (expected: a private RSA or EC JWK)");
                }
            }

            @Override
            public String toString() {
                return "private_key_jwt";
            }
        }
    }

    public SignInSettings {
        requireNonNull(issuer, "issuer");
        if (!"https".equals(issuer.getScheme()) && !isLoopbackHttp(issuer)) {
            throw new IllegalArgumentException("signin.issuer: " + issuer
                    + " (expected: an https URL; http only to a loopback address, for tests)");
        }
        requireNonNull(clientId, "clientId");
        if (clientId.isBlank()) {
            throw new IllegalArgumentException("signin.clientId: empty (expected: the client id registered at the provider)");
        }
        requireNonNull(clientAuth, "clientAuth");
        Set<String> all = new LinkedHashSet<>();
        all.add("openid");
        all.addAll(requireNonNull(scopes, "scopes"));
        scopes = List.copyOf(all);
        requireNonNull(loginHostLabel, "loginHostLabel");
        if (!loginHostLabel.matches("[a-z][a-z0-9-]{0,62}") || loginHostLabel.matches("[0-9]+-.*")) {
            throw new IllegalArgumentException("signin.loginHostLabel: '" + loginHostLabel
                    + "' (expected: one DNS label of lowercase letters, digits and '-', not a <port>-<workspace> name)");
        }
        positive(idleTimeout, "signin.session.idleTimeout");
        positive(lifetime, "signin.session.lifetime");
        requireNonNull(keyFile, "keyFile");
        requireNonNull(stateFile, "stateFile");
        if (publicPort < 0 || publicPort > 65535) {
            throw new IllegalArgumentException("signin.publicPort: " + publicPort + " (expected: 1-65535, or 0: as in Host)");
        }
        requireNonNull(clock, "clock");
    }

    /** Settings with the defaults for everything but the provider and the client. */
    public static SignInSettings of(URI issuer, String clientId, ClientAuth clientAuth) {
        return new SignInSettings(issuer, clientId, clientAuth, DEFAULT_SCOPES, DEFAULT_LOGIN_HOST_LABEL,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_LIFETIME, Optional.empty(), Optional.empty(), 0, Clock.systemUTC());
    }

    public SignInSettings withPublicPort(int port) {
        return new SignInSettings(issuer, clientId, clientAuth, scopes, loginHostLabel, idleTimeout, lifetime, keyFile,
                stateFile, port, clock);
    }

    public SignInSettings withSessionTimes(Duration idle, Duration life) {
        return new SignInSettings(issuer, clientId, clientAuth, scopes, loginHostLabel, idle, life, keyFile, stateFile,
                publicPort, clock);
    }

    public SignInSettings withFiles(Optional<Path> key, Optional<Path> state) {
        return new SignInSettings(issuer, clientId, clientAuth, scopes, loginHostLabel, idleTimeout, lifetime, key, state,
                publicPort, clock);
    }

    /** The same settings reading time from {@code clock} (tests move it past a ticket's or a link's end). */
    public SignInSettings withClock(Clock clock) {
        return new SignInSettings(issuer, clientId, clientAuth, scopes, loginHostLabel, idleTimeout, lifetime, keyFile,
                stateFile, publicPort, clock);
    }

    /** The login host of {@code baseDomain}. */
    public String loginHost(String baseDomain) {
        return loginHostLabel + "." + baseDomain;
    }

    /**
     * {@code https://host[:port]}: how a browser reaches {@code host} on this gateway, on the configured
     * public port or else on the port of {@code hostHeader} (the request the answer is for).
     */
    public String origin(String host, String hostHeader) {
        int port = publicPort;
        if (port == 0 && hostHeader != null) {
            int colon = hostHeader.lastIndexOf(':');
            if (colon >= 0 && hostHeader.indexOf(']', colon) < 0) {
                try {
                    port = Integer.parseInt(hostHeader.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = 0;
                }
            }
        }
        return "https://" + host + (port == 0 || port == 443 ? "" : ":" + port);
    }

    private static void positive(Duration value, String name) {
        requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: more than 0)");
        }
    }

    private static boolean isLoopbackHttp(URI uri) {
        String host = uri.getHost();
        return "http".equals(uri.getScheme()) && host != null
               && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
    }
}
