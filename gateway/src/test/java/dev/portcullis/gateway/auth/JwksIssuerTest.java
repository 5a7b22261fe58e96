package dev.portcullis.gateway.auth;

import static dev.portcullis.gateway.auth.TestTokens.AUDIENCE;
import static dev.portcullis.gateway.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keys fetched from a real JWKS endpoint on 127.0.0.1. */
class JwksIssuerTest {
    private static final String ISSUER = "https://jwks-idp.example.com";

    private final RSAKey first = TestTokens.rsaKey("key-1");
    private final RSAKey second = TestTokens.rsaKey("key-2");
    private final AtomicReference<JWKSet> published = new AtomicReference<>(TestTokens.keySet(first));
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger fetches = new AtomicInteger();
    private final CountingVerifierFactory counting = new CountingVerifierFactory();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    /** The verifier's clock, which the JWKS cache, its refetch limit and its outage tolerance run on too. */
    private final MutableClock clock = new MutableClock(Instant.now());
    private HttpServer server;
    private IdentityVerifier verifier;

    @BeforeEach
    void startJwksServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            awaitQuietly(gate);
            byte[] body = published.get().toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status.get(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        if (verifier != null) {
            verifier.close();
        }
        server.stop(0);
    }

    private IdentityVerifier verifier(JwksPolicy policy) {
        return verifier(policy, 2, 1024);
    }

    private IdentityVerifier verifier(JwksPolicy policy, int threads, int queue) {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
        verifier = new IdentityVerifier(IdentityVerifierConfig.builder()
                .issuer(IssuerConfig.builder(ISSUER, AUDIENCE).jwks(url, policy).algorithms(JWSAlgorithm.RS256).build())
                .verifyThreads(threads).verifyQueue(queue)
                .build(), clock, counting);
        return verifier;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tokens valid now by the test's clock. */
    private String token(RSAKey key) {
        Date now = Date.from(clock.instant());
        return TestTokens.rs256(key, claims().issuer(ISSUER).issueTime(now)
                .expirationTime(new Date(now.getTime() + 600_000)).build());
    }

    @Test
    void fetchesKeysAndVerifiesOffTheCallersThread() {
        verifier(JwksPolicy.DEFAULTS);

        VerifiedIdentity identity = verifier.verifyAsync(token(first)).join();

        assertThat(identity.user()).isEqualTo("alice");
        assertThat(fetches).hasValue(1);
        assertThat(counting.threads).isNotEmpty().allMatch(name -> name.startsWith("portcullis-jwt-verify-"));
    }

    @Test
    void unknownKidRefetchesOnceAndPicksUpARotatedKey() throws TokenRejectedException {
        verifier(JwksPolicy.DEFAULTS);
        verifier.verify(token(first));
        published.set(TestTokens.keySet(first, second));

        assertThat(verifier.verify(token(second)).user()).isEqualTo("alice");
        assertThat(fetches).hasValue(2);
    }

    @Test
    void unknownKidsDoNotMakeUsFetchMoreOftenThanTheRateLimit() throws TokenRejectedException {
        verifier(JwksPolicy.DEFAULTS);
        verifier.verify(token(first));

        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> verifier.verify(token(TestTokens.rsaKey("attacker-" + System.nanoTime()))))
                    .isInstanceOfSatisfying(TokenRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(RejectionReason.UNKNOWN_KEY));
        }
        assertThat(fetches).hasValue(2);
    }

    @Test
    void keepsServingCachedKeysDuringAnOutageWithinTolerance() throws Exception {
        JwksPolicy shortCache = new JwksPolicy(Duration.ofMillis(800), Duration.ofMillis(200), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 64 * 1024);
        verifier(shortCache);
        verifier.verify(token(first));
        status.set(503);

        clock.advance(Duration.ofMillis(1200)); // past the cache's lifetime

        assertThat(verifier.verify(token(first)).user()).isEqualTo("alice");
        assertThat(fetches.get()).isGreaterThan(1);
    }

    @Test
    void failsClosedWhenTheOutageOutlastsTheTolerance() throws Exception {
        JwksPolicy shortTolerance = new JwksPolicy(Duration.ofMillis(800), Duration.ofMillis(200), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofSeconds(1), Duration.ofSeconds(1), 64 * 1024);
        verifier(shortTolerance);
        verifier.verify(token(first));
        status.set(503);

        clock.advance(Duration.ofMillis(1200)); // past the cache's lifetime

        assertThatThrownBy(() -> verifier.verify(token(first)))
                .isInstanceOfSatisfying(TokenRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectionReason.JWKS_UNAVAILABLE));
    }

    @Test
    void refusesNewWorkWhenVerificationThreadsAndQueueAreFull() {
        gate = new CountDownLatch(1);
        verifier(JwksPolicy.DEFAULTS, 1, 1);

        CompletableFuture<VerifiedIdentity> fetching = verifier.verifyAsync(token(first));
        CompletableFuture<VerifiedIdentity> queued = verifier.verifyAsync(token(first));
        CompletableFuture<VerifiedIdentity> refused = verifier.verifyAsync(token(first));

        assertThat(refused).isCompletedExceptionally();
        assertThatThrownBy(refused::join).cause()
                .isInstanceOfSatisfying(TokenRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectionReason.VERIFIER_OVERLOADED));
        gate.countDown();
        assertThat(fetching.join().user()).isEqualTo("alice");
        assertThat(queued.join().user()).isEqualTo("alice");
    }

    @Test
    void reportsJwksUnavailableWhenTheIssuerWasNeverReachable() {
        status.set(500);
        verifier(JwksPolicy.DEFAULTS);

        assertThat(verifier.verifyAsync(token(first)))
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .satisfies(e -> assertThat(((TokenRejectedException) e.getCause()).reason())
                        .isEqualTo(RejectionReason.JWKS_UNAVAILABLE));
    }
}
