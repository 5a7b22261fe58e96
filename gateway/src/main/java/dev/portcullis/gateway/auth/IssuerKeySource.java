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
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.io.Closeable;
import java.io.IOException;
import java.net.MalformedURLException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The public keys of one issuer, found by the token header's {@code alg} and {@code kid}. Key
 * material in the header ({@code jwk}, {@code jku}, {@code x5u}, {@code x5c}) is never looked at.
 */
final class IssuerKeySource implements Closeable {
    private final IssuerConfig issuer;
    private final JWKSource<SecurityContext> source;

    private IssuerKeySource(IssuerConfig issuer, JWKSource<SecurityContext> source) {
        this.issuer = issuer;
        this.source = source;
    }

    static IssuerKeySource of(IssuerConfig issuer) {
        requireNonNull(issuer, "issuer");
        return new IssuerKeySource(issuer, switch (issuer.keys()) {
            case IssuerKeys.Static s -> new ImmutableJWKSet<>(s.keys());
            case IssuerKeys.Jwks j -> remote(j);
        });
    }

    /** Nimbus' layered source: cache, refresh-ahead, rate-limited refetch, outage tolerance. */
    private static JWKSource<SecurityContext> remote(IssuerKeys.Jwks jwks) {
        JwksPolicy p = jwks.policy();
        var retriever = new DefaultResourceRetriever(
                (int) p.connectTimeout().toMillis(), (int) p.readTimeout().toMillis(), p.sizeLimitBytes());
        try {
            return JWKSourceBuilder.<SecurityContext>create(jwks.url().toURL(), retriever)
                    .cache(p.cacheTtl().toMillis(), p.refreshTimeout().toMillis())
                    .refreshAheadCache(p.refreshAhead().toMillis(), true)
                    .rateLimited(p.minRefetchInterval().toMillis())
                    .outageTolerant(p.outageTolerance().toMillis())
                    .build();
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
            jwks = source.get(new JWKSelector(matcher.build()), null);
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
        if (source instanceof Closeable c) {
            c.close();
        }
    }
}
