package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * A token issuer for development and the demo: an ES256 key made on first use and kept in a state
 * folder (owner-only file), tokens minted by {@code ./portcullis token}. It is never on unless a
 * config turns it on, and the gateway says so loudly when it is: whoever can read the key file can
 * be anyone.
 */
public final class DevelopmentIssuer {
    /** The {@code iss} of its tokens; not a URL anything is fetched from, the key is local. */
    public static final String ISSUER = "https://dev-issuer.portcullis.localhost";
    /** How records name its users: {@code alice@dev}. */
    public static final String ALIAS = "dev";
    public static final String AUDIENCE = "portcullis";
    public static final String KEY_FILE = "dev-issuer-key.json";
    /** The claim that makes a token's holder an admin of its org (the gateway's default admin claim). */
    public static final String ADMIN_CLAIM = "portcullis_admin";
    /** The claim that names the workspace host a token speaks for (the gateway's host API reads it). */
    public static final String HOST_CLAIM = "portcullis_host";

    private final ECKey key;

    private DevelopmentIssuer(ECKey key) {
        this.key = key;
    }

    /** The issuer whose key is in {@code folder}, making the key if there is none yet. */
    public static DevelopmentIssuer loadOrCreate(Path folder) throws IOException {
        return new DevelopmentIssuer(LocalKeys.loadOrCreateEc(folder.resolve(KEY_FILE), "dev"));
    }

    /** The issuer whose key is {@code file}; fails when there is none (nothing is created). */
    public static DevelopmentIssuer load(Path file) throws IOException {
        return new DevelopmentIssuer(LocalKeys.loadEc(file));
    }

    /** How the gateway verifies this issuer's tokens: its public key, ES256 only, {@code typ: JWT}. */
    public IssuerConfig issuerConfig() {
        return IssuerConfig.builder(ISSUER, AUDIENCE)
                .alias(ALIAS)
                .staticKeys(publicKeys())
                .algorithms(JWSAlgorithm.ES256)
                .expectedType("JWT")
                .build();
    }

    public JWKSet publicKeys() {
        return new JWKSet(key.toPublicJWK());
    }

    /** What a minted token says about its holder. */
    public record Claims(String user, String email, String org, List<String> groups, boolean admin, Duration ttl) {
        public Claims {
            requireNonNull(user, "user");
            groups = List.copyOf(groups);
            checkTtl(ttl);
        }
    }

    private static void checkTtl(Duration ttl) {
        requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(Duration.ofDays(30)) > 0) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: more than 0, at most 30 days)");
        }
    }

    public String mint(Claims claims) {
        JWTClaimsSet.Builder set = registered(claims.user(), claims.ttl());
        if (claims.email() != null) {
            set.claim("email", claims.email());
        }
        if (claims.org() != null) {
            set.claim("org", claims.org());
        }
        if (!claims.groups().isEmpty()) {
            set.claim("groups", claims.groups());
        }
        if (claims.admin()) {
            set.claim(ADMIN_CLAIM, true);
        }
        return sign(set);
    }

    /**
     * A token for the agent of workspace host {@code host}: it may publish that host's routes
     * through the gateway's host API, nothing else (its user, {@code host:<name>}, owns no workspace).
     */
    public String mintHost(String host, Duration ttl) {
        requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host: empty (expected: the agent's hostName)");
        }
        checkTtl(ttl);
        return sign(registered("host:" + host, ttl).claim(HOST_CLAIM, host));
    }

    private static JWTClaimsSet.Builder registered(String subject, Duration ttl) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject(subject)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString());
    }

    private String sign(JWTClaimsSet.Builder set) {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), set.build());
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign with the development key", e);
        }
        return jwt.serialize();
    }
}
