package dev.portcullis.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.StoreSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntPredicate;
import org.awaitility.Awaitility;

/**
 * What the store-backed gateway tests share: gateways started on a store with access enforced by
 * the development issuer, tokens, admin API calls, and waiting for a change to arrive.
 */
final class StoreGateways {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long a change may take to reach a gateway before a test calls it lost. */
    static final Duration PROPAGATION = Duration.ofSeconds(5);

    private final DevelopmentIssuer issuer;
    private final HttpClient admin = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    StoreGateways(Path folder) throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(folder.resolve("issuer"));
    }

    /** A gateway on {@code store}; orgs without a policy allow shares up to organization. */
    GatewayFixture start(Path folder, StoreSettings store) throws Exception {
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        return GatewayFixture.start(Transport.best(), folder, config -> config.identity(identity).store(store)
                .access(new AccessSettings(Optional.empty(), ShareLevel.ORGANIZATION, DevelopmentIssuer.ADMIN_CLAIM)));
    }

    String token(String user, String org) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), false, Duration.ofMinutes(10)));
    }

    String adminToken(String user, String org) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, org, List.of(), true, Duration.ofMinutes(10)));
    }

    /** GET {@code /} of {@code port} of {@code workspace} through {@code gateway}, as the token's holder. */
    static int status(GatewayFixture gateway, String workspace, int port, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(gateway.url(port, workspace, "/")).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token).build();
        return gateway.httpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Polls until {@code gateway} answers a status {@code expected} accepts; returns how long that took. */
    static Duration awaitStatus(GatewayFixture gateway, String workspace, int port, String token, IntPredicate expected)
            throws Exception {
        long started = System.nanoTime();
        Awaitility.await("status of " + workspace + ":" + port).atMost(PROPAGATION).pollInterval(Duration.ofMillis(10))
                .until(() -> status(gateway, workspace, port, token), expected::test);
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /** An admin API call on {@code gateway}'s admin listener. */
    HttpResponse<String> call(GatewayFixture gateway, String method, String path, String token, String body,
                              Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.adminUrl(path)).timeout(TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", "Bearer " + token);
        headers.forEach(request::header);
        return admin.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> call(GatewayFixture gateway, String method, String path, String token, String body)
            throws Exception {
        return call(gateway, method, path, token, body, Map.of());
    }

    HttpResponse<String> get(URI url) throws Exception {
        return admin.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }
}
