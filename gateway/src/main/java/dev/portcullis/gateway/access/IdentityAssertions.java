package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.route.WorkspaceRoute;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * The gateway's own statement of who is calling, for workspace apps that want to know: a short-lived
 * ES256 JWT in the {@value #HEADER} header, {@code aud} the workspace host it is sent to (so it is
 * worth nothing at another workspace), {@code iss} {@value #ISSUER}, signed with the gateway's key,
 * whose public half the admin listener serves at {@code /identity-assertion/jwks.json}. Sent only to
 * workspaces whose route carries the label {@value #ROUTE_LABEL}{@code : "true"}, only for a signed-in
 * caller, and never longer-lived than the caller's own token.
 *
 * <p>Signing costs tens of microseconds, so an assertion is reused for the same caller and host
 * until half its lifetime has passed.
 */
public final class IdentityAssertions {
    public static final String HEADER = "x-portcullis-identity";
    public static final String ISSUER = "https://gateway.portcullis.localhost";
    /** The route label that turns the header on for a workspace. */
    public static final String ROUTE_LABEL = "portcullis.dev/identity-assertion";
    /** The issue's bound: an assertion is good for at most five minutes. */
    public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);

    private record Key(String issuer, String user, String host) {}

    private record Signed(String token, Instant reuseUntil) {}

    private final ECKey key;
    private final JWSSigner signer;
    private final Duration lifetime;
    private final Clock clock;
    private final Cache<Key, Signed> recent = Caffeine.newBuilder().maximumSize(50_000)
            .expireAfterWrite(MAX_LIFETIME).build();

    public IdentityAssertions(ECKey key, Duration lifetime, Clock clock) {
        this.key = requireNonNull(key, "key");
        this.lifetime = requireNonNull(lifetime, "lifetime");
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("lifetime: " + lifetime + " (expected: more than 0, at most 5 minutes)");
        }
        this.clock = requireNonNull(clock, "clock");
        try {
            this.signer = new ECDSASigner(key);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("key: cannot sign with it: " + e.getMessage(), e);
        }
    }

    /** Whether the workspace asked for the header. */
    public static boolean wantedBy(WorkspaceRoute route) {
        return route.owner() != null && "true".equals(route.owner().labels().get(ROUTE_LABEL));
    }

    /** The public key workspace apps verify the header with. */
    public JWKSet publicKeys() {
        return new JWKSet(key.toPublicJWK());
    }

    /** The assertion that {@code caller} is calling {@code host}. */
    public String assertionFor(VerifiedIdentity caller, String host) {
        Instant now = clock.instant();
        Key cacheKey = new Key(caller.issuer(), caller.user(), host);
        Signed cached = recent.getIfPresent(cacheKey);
        if (cached != null && now.isBefore(cached.reuseUntil())) {
            return cached.token();
        }
        Instant expires = now.plus(lifetime);
        if (caller.expiresAt().isBefore(expires)) {
            expires = caller.expiresAt();
        }
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(host)
                .subject(caller.user())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString())
                .claim("idp", caller.issuer());
        caller.email().ifPresent(email -> claims.claim("email", email));
        caller.org().ifPresent(org -> claims.claim("org", org));
        if (!caller.groups().isEmpty()) {
            claims.claim("groups", caller.groups());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign an identity assertion", e);
        }
        String token = jwt.serialize();
        recent.put(cacheKey, new Signed(token, now.plus(Duration.between(now, expires).dividedBy(2))));
        return token;
    }
}
