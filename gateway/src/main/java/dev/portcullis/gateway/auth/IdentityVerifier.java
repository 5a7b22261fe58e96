package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.portcullis.policy.IssuerScope;
import java.io.IOException;
import java.security.PublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Verifies bearer JWTs from the configured issuers and says who presented them.
 *
 * <p>Event-loop code calls {@link #verifyAsync}: it answers at once from the cache or for issuers
 * with static keys, and otherwise on a small dedicated executor, because a JWKS fetch may block.
 * {@link #verify} blocks and is meant for CLIs and tests.
 */
public final class IdentityVerifier implements AutoCloseable {
    private final IdentityVerifierConfig config;
    private final Clock clock;
    private final JWSVerifierFactory verifierFactory;
    private final Map<String, IssuerConfig> issuers;
    private final Map<String, IssuerScope> scopes;
    private final Map<String, IssuerKeySource> keySources;
    private final VerifiedTokenCache cache;
    private final ThreadPoolExecutor executor;

    IdentityVerifier(IdentityVerifierConfig config, Clock clock, JWSVerifierFactory verifierFactory) {
        this.config = requireNonNull(config, "config");
        this.clock = requireNonNull(clock, "clock");
        this.verifierFactory = requireNonNull(verifierFactory, "verifierFactory");
        this.issuers = config.issuers().stream().collect(Collectors.toUnmodifiableMap(IssuerConfig::issuer, Function.identity()));
        this.scopes = config.issuers().stream().collect(Collectors.toUnmodifiableMap(IssuerConfig::issuer, config::scopeOf));
        this.keySources = config.issuers().stream()
                .collect(Collectors.toUnmodifiableMap(IssuerConfig::issuer, issuer -> IssuerKeySource.of(issuer, clock)));
        this.cache = new VerifiedTokenCache(config.cacheMaxEntries(), config.cacheMaxTtl(), clock);
        AtomicInteger threadNumber = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(config.verifyThreads(), config.verifyThreads(), 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.verifyQueue()), r -> {
                    Thread t = new Thread(r, "portcullis-jwt-verify-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    public static IdentityVerifier create(IdentityVerifierConfig config) {
        return create(config, Clock.systemUTC());
    }

    public static IdentityVerifier create(IdentityVerifierConfig config, Clock clock) {
        return new IdentityVerifier(config, clock, new SignatureVerifierFactory());
    }

    /**
     * Verifies without blocking the caller on the network. The future fails with a
     * {@link TokenRejectedException} (possibly wrapped in a {@link CompletionException}).
     */
    public CompletableFuture<VerifiedIdentity> verifyAsync(String token) {
        try {
            String key = VerifiedTokenCache.key(requireToken(token));
            VerifiedIdentity cached = fromCache(key);
            if (cached != null) {
                return CompletableFuture.completedFuture(cached);
            }
            Candidate candidate = parse(token);
            if (!candidate.issuer().fetchesKeys()) {
                return CompletableFuture.completedFuture(finish(key, candidate));
            }
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return finish(key, candidate);
                } catch (TokenRejectedException e) {
                    throw new CompletionException(e);
                }
            }, executor);
        } catch (TokenRejectedException e) {
            return CompletableFuture.failedFuture(e);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new TokenRejectedException(RejectionReason.VERIFIER_OVERLOADED,
                    "Too many tokens are waiting for verification; try again."));
        }
    }

    /** Verifies on the calling thread, fetching keys if needed. Never call this on an event loop. */
    public VerifiedIdentity verify(String token) throws TokenRejectedException {
        String key = VerifiedTokenCache.key(requireToken(token));
        VerifiedIdentity cached = fromCache(key);
        if (cached != null) {
            return cached;
        }
        return finish(key, parse(token));
    }

    public IdentityVerifierConfig config() {
        return config;
    }

    /**
     * The identity in claims that another part verified (the sign-in checks an ID token's signature,
     * audience and nonce itself), mapped exactly as a bearer token of {@code issuer} is: its entry's
     * claim names, the types of {@code sub} and {@code groups}, its org binding, its alias and
     * whether it may carry the admin claim.
     *
     * @param rawClaims the payload as JSON parsed it (see {@link IdentityClaims#toIdentity})
     * @throws TokenRejectedException {@code unknown-issuer} when no issuer entry is {@code issuer},
     *         or what a token with these claims would be refused for
     */
    public VerifiedIdentity identityOfVerifiedClaims(String issuer, JWTClaimsSet claims, Map<String, Object> rawClaims,
                                                     Instant expiresAt) throws TokenRejectedException {
        requireNonNull(claims, "claims");
        requireNonNull(expiresAt, "expiresAt");
        IssuerConfig entry = trusted(issuer);
        return IdentityClaims.toIdentity(entry, scopes.get(entry.issuer()), claims, rawClaims, expiresAt);
    }

    /**
     * A caller verified earlier (a browser session made at sign-in) as this configuration sees it
     * now: the issuer entry gives alias, org binding and the admin rule again, so a session is never
     * more than a token of its issuer would be today.
     *
     * @throws TokenRejectedException {@code unknown-issuer} when its issuer is no longer trusted,
     *         {@code org-not-bound} when the issuer may no longer speak for its org
     */
    public VerifiedIdentity restore(String issuer, String user, Optional<String> email, Optional<String> org,
                                    List<String> groups, Map<String, Object> otherClaims, Instant expiresAt)
            throws TokenRejectedException {
        IssuerConfig entry = trusted(issuer);
        if (org.isPresent() && !entry.speaksFor(org.get())) {
            throw new TokenRejectedException(RejectionReason.ORG_NOT_BOUND, "The session names org '" + org.get()
                    + "', which issuer '" + issuer + "' may no longer speak for (expected: one of "
                    + entry.orgs().stream().sorted().toList() + ").");
        }
        return new VerifiedIdentity(entry.issuer(), user, email, org, groups, otherClaims, expiresAt, entry.alias(),
                scopes.get(entry.issuer()), entry.admin());
    }

    private IssuerConfig trusted(String issuer) throws TokenRejectedException {
        IssuerConfig entry = issuer == null ? null : issuers.get(issuer);
        if (entry == null) {
            throw new TokenRejectedException(RejectionReason.UNKNOWN_ISSUER, "Issuer '" + issuer
                    + "' is not trusted (expected: one of " + issuers.keySet().stream().sorted().toList() + ").");
        }
        return entry;
    }

    /** Refuses what must not even be hashed for the cache lookup: nothing, or too much. */
    private static String requireToken(String token) throws TokenRejectedException {
        if (token == null) {
            throw new TokenRejectedException(RejectionReason.TOKEN_MALFORMED, "No token was given.");
        }
        if (token.length() > TokenShape.MAX_TOKEN_CHARS) {
            TokenShape.check(token);
        }
        return token;
    }

    /**
     * A cached identity, or null. The cache evicts by its own timer, so expiry is checked here on
     * every call against our clock; an expired entry stays until evicted, refusing cheaply.
     */
    private VerifiedIdentity fromCache(String key) throws TokenRejectedException {
        VerifiedIdentity cached = cache.get(key);
        if (cached == null) {
            return null;
        }
        if (cached.isExpiredAt(clock.instant())) {
            throw expired(cached.expiresAt());
        }
        return cached;
    }

    /** A token whose structure, header and issuer passed the checks that need no keys. */
    private record Candidate(SignedJWT jwt, JWSHeader header, JWTClaimsSet claims, IssuerConfig issuer) {}

    private Candidate parse(String token) throws TokenRejectedException {
        int[] dots = TokenShape.check(token);
        Map<String, Object> rawHeader;
        try {
            rawHeader = JSONObjectUtils.parse(new Base64URL(token.substring(0, dots[0])).decodeToString());
        } catch (ParseException | RuntimeException e) {
            throw malformed("The token header is not a JSON object.");
        }
        if (rawHeader.containsKey("enc")) {
            throw malformed("The token is encrypted (JWE); a signed token (JWS) was expected.");
        }
        if (!(rawHeader.get("alg") instanceof String algName)) {
            throw malformed("The token header has no \"alg\" string.");
        }
        // Decided on the raw string: Nimbus maps "none" to a non-JWS algorithm and would call it malformed.
        JWSAlgorithm alg = JWSAlgorithm.parse(algName);
        if (algName.equalsIgnoreCase("none") || !IssuerConfig.SUPPORTED_ALGORITHMS.contains(alg)) {
            throw new TokenRejectedException(RejectionReason.ALG_NOT_ALLOWED,
                    "The token algorithm is not accepted (expected: an asymmetric signature algorithm).");
        }
        // We implement no JWS extensions, so every critical header is one we do not understand.
        if (rawHeader.containsKey("crit")) {
            throw new TokenRejectedException(RejectionReason.UNKNOWN_CRIT,
                    "The token marks header parameters as critical that this gateway does not understand.");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw malformed("The token could not be parsed: " + e.getMessage());
        }
        Object iss = claims.getClaim("iss");
        IssuerConfig issuer = iss instanceof String s ? issuers.get(s) : null;
        if (issuer == null) {
            throw new TokenRejectedException(RejectionReason.UNKNOWN_ISSUER,
                    "The token's issuer is not trusted (expected: one of " + issuers.keySet().stream().sorted().toList() + ").");
        }
        if (!issuer.algorithms().contains(alg)) {
            throw new TokenRejectedException(RejectionReason.ALG_NOT_ALLOWED, "Algorithm " + alg + " is not accepted from issuer '"
                    + issuer.issuer() + "' (expected: one of " + issuer.algorithms() + ").");
        }
        if (issuer.expectedType().isPresent()) {
            checkType(jwt.getHeader().getType(), issuer.expectedType().get());
        }
        return new Candidate(jwt, jwt.getHeader(), claims, issuer);
    }

    /** Media types compare case-insensitively and may omit "application/" (RFC 7515 §4.1.9). */
    private static void checkType(JOSEObjectType actual, String expected) throws TokenRejectedException {
        if (actual == null || !normalizeType(actual.getType()).equals(normalizeType(expected))) {
            throw new TokenRejectedException(RejectionReason.WRONG_TYP,
                    "The token type is " + (actual == null ? "missing" : "'" + actual.getType() + "'")
                            + " (expected: '" + expected + "').");
        }
    }

    private static String normalizeType(String type) {
        String lower = type.toLowerCase(Locale.ROOT);
        return lower.startsWith("application/") ? lower.substring("application/".length()) : lower;
    }

    private VerifiedIdentity finish(String key, Candidate c) throws TokenRejectedException {
        List<PublicKey> keys = keySources.get(c.issuer().issuer()).candidates(c.header());
        if (keys.isEmpty()) {
            throw new TokenRejectedException(RejectionReason.UNKNOWN_KEY, "No key of issuer '" + c.issuer().issuer()
                    + "' matches the token's kid and algorithm " + c.header().getAlgorithm() + ".");
        }
        if (!signedByAnyOf(c, keys)) {
            throw new TokenRejectedException(RejectionReason.BAD_SIGNATURE,
                    "The token signature does not verify with the keys of issuer '" + c.issuer().issuer() + "'.");
        }
        Instant expiresAt = checkClaims(c);
        VerifiedIdentity identity = IdentityClaims.toIdentity(c.issuer(), scopes.get(c.issuer().issuer()), c.claims(),
                c.jwt().getPayload().toJSONObject(), expiresAt);
        cache.put(key, identity);
        return identity;
    }

    private boolean signedByAnyOf(Candidate c, List<PublicKey> keys) {
        for (PublicKey publicKey : keys) {
            try {
                if (c.jwt().verify(verifierFactory.createJWSVerifier(c.header(), publicKey))) {
                    return true;
                }
            } catch (JOSEException | IllegalStateException e) {
                // This key does not fit the algorithm; try the next one.
            }
        }
        return false;
    }

    private Instant checkClaims(Candidate c) throws TokenRejectedException {
        JWTClaimsSet claims = c.claims();
        List<String> audience = claims.getAudience();
        if (audience == null || !audience.contains(c.issuer().audience())) {
            throw new TokenRejectedException(RejectionReason.WRONG_AUDIENCE,
                    "The token is not meant for this gateway (expected audience: '" + c.issuer().audience() + "').");
        }
        Instant now = clock.instant();
        Instant exp = instantClaim(claims, "exp");
        if (exp == null) {
            throw new TokenRejectedException(RejectionReason.MISSING_EXP, "The token has no expiry (\"exp\" is required).");
        }
        if (!now.isBefore(exp)) {
            throw expired(exp);
        }
        Instant latestStart = now.plus(config.clockSkew());
        for (String name : List.of("nbf", "iat")) {
            Instant t = instantClaim(claims, name);
            if (t != null && t.isAfter(latestStart)) {
                throw new TokenRejectedException(RejectionReason.NOT_YET_VALID, "The token's \"" + name + "\" is " + t
                        + ", later than now (" + now + ") plus the allowed skew of " + config.clockSkew() + ".");
            }
        }
        return exp;
    }

    private static Instant instantClaim(JWTClaimsSet claims, String name) throws TokenRejectedException {
        try {
            Date date = claims.getDateClaim(name);
            return date == null ? null : date.toInstant();
        } catch (ParseException e) {
            throw malformed("Claim \"" + name + "\" is not a number of seconds.");
        }
    }

    private static TokenRejectedException expired(Instant exp) {
        return new TokenRejectedException(RejectionReason.EXPIRED, "The token expired at " + exp + ".");
    }

    private static TokenRejectedException malformed(String message) {
        return new TokenRejectedException(RejectionReason.TOKEN_MALFORMED, message);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        for (IssuerKeySource source : keySources.values()) {
            try {
                source.close();
            } catch (IOException e) {
                // Closing only stops background refreshes; nothing to recover.
            }
        }
    }
}
