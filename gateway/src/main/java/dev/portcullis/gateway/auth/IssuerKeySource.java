package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.io.Closeable;
import java.io.IOException;
import java.net.MalformedURLException;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The public keys of one issuer, found by the token header's {@code alg} and {@code kid}. Key
 * material in the header ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c}) is never looked at.
 */
final class IssuerKeySource implements Closeable {
    /** Finds the keys a selector matches; for fetched keys, at the time of the verifier's clock. */
    @FunctionalInterface
    private interface KeyLookup {
        List<JWK> find(JWKSelector selector) throws KeySourceException;
    }

    private final IssuerConfig issuer;
    private final KeyLookup lookup;
    private final Closeable resources;

    private IssuerKeySource(IssuerConfig issuer, KeyLookup lookup, Closeable resources) {
        this.issuer = issuer;
        this.lookup = lookup;
        this.resources = resources;
    }

    /** The keys of {@code issuer}; a JWKS cache, its refetch limit and its outage tolerance run on {@code clock}. */
    static IssuerKeySource of(IssuerConfig issuer, Clock clock) {
        requireNonNull(issuer, "issuer");
        requireNonNull(clock, "clock");
        return switch (issuer.keys()) {
            case IssuerKeys.Static s -> {
                ImmutableJWKSet<SecurityContext> keys = new ImmutableJWKSet<>(s.keys());
                yield new IssuerKeySource(issuer, selector -> keys.get(selector, null), () -> { });
            }
            case IssuerKeys.Jwks j -> {
                JWKSetSource<SecurityContext> source = remote(j);
                yield new IssuerKeySource(issuer, selector -> select(source, selector, clock.millis()), source);
            }
        };
    }

    /**
     * What Nimbus' {@code JWKSetBasedJWKSource.get} does, with the time from our clock instead of the system's (its
     * sources take the time as an argument; only that outer layer reads the system clock): the cached set, and one
     * refetch when no key matches (a rotated key), which the rate limit may refuse.
     */
    private static List<JWK> select(JWKSetSource<SecurityContext> source, JWKSelector selector, long now)
            throws KeySourceException {
        JWKSet keys = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, null);
        List<JWK> matches = selector.select(keys);
        if (matches.isEmpty()) {
            keys = source.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(keys), now, null);
            matches = selector.select(keys);
        }
        return matches;
    }

    /** Nimbus' layered source: cache, refresh-ahead, rate-limited refetch, outage tolerance. */
    private static JWKSetSource<SecurityContext> remote(IssuerKeys.Jwks jwks) {
        JwksPolicy p = jwks.policy();
        var retriever = new DefaultResourceRetriever(
                (int) p.connectTimeout().toMillis(), (int) p.readTimeout().toMillis(), p.sizeLimitBytes());
        try {
            JWKSource<SecurityContext> built = JWKSourceBuilder.<SecurityContext>create(jwks.url().toURL(), retriever)
                    .cache(p.cacheTtl().toMillis(), p.refreshTimeout().toMillis())
                    .refreshAheadCache(p.refreshAhead().toMillis(), true)
                    .rateLimited(p.minRefetchInterval().toMillis())
                    .outageTolerant(p.outageTolerance().toMillis())
                    .build();
            // Without a failover the builder wraps its layers in one JWKSetBasedJWKSource.
            return ((JWKSetBasedJWKSource<SecurityContext>) built).getJWKSetSource();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("jwks url: '" + jwks.url() + "' (expected: a URL)", e);
        }
    }

    /** Public keys that may have signed a token with this header; empty when none matches. */
    List<PublicKey> candidates(JWSHeader header) throws TokenRejectedException {
        JWSAlgorithm alg = header.getAlgorithm();
        var matcher = new JWKMatcher.Builder()
                .keyType(KeyType.forAlgorithm(alg))
                .keyUses(KeyUse.SIGNATURE, null)
                .algorithms(alg, null);
        Set<Curve> curves = Curve.forJWSAlgorithm(alg);
        if (curves != null && !curves.isEmpty()) {
            matcher.curves(curves);
        }
        if (header.getKeyID() != null) {
            matcher.keyID(header.getKeyID());
        }
        List<JWK> jwks;
        try {
            jwks = lookup.find(new JWKSelector(matcher.build()));
        } catch (RateLimitReachedException e) {
            // The kid is still unknown and we refetched recently: do not hammer the issuer.
            return List.of();
        } catch (KeySourceException e) {
            throw new TokenRejectedException(RejectionReason.JWKS_UNAVAILABLE,
                    "The keys of issuer '" + issuer.issuer() + "' could not be fetched: " + e.getMessage(), e);
        }
        List<PublicKey> keys = new ArrayList<>(jwks.size());
        for (JWK jwk : jwks) {
            try {
                keys.add(publicKey(jwk));
            } catch (JOSEException e) {
                // One unusable key in the set must not hide the others.
            }
        }
        return keys;
    }

    private static PublicKey publicKey(JWK jwk) throws JOSEException {
        return switch (jwk) {
            case RSAKey rsa -> rsa.toRSAPublicKey();
            case ECKey ec -> ec.toECPublicKey();
            case OctetKeyPair okp -> Ed25519Verifier.publicKey(okp);
            default -> throw new JOSEException("key type " + jwk.getKeyType() + " not usable for signatures");
        };
    }

    @Override
    public void close() throws IOException {
        resources.close();
    }
}
