package dev.portcullis.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.config.WorkspaceConnectionLimits;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OrdinaryClient;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 stream amplification by one signed-in user (issue 17, item 1, measured): bob opens HTTP/2
 * connections whose streams' bodies never end, each holding a workspace connection, until the
 * per-principal limit answers {@code 503}; meanwhile alice, another principal from the same client
 * address, makes sequential requests, each on a new TLS connection, through the real gateway to the
 * demo workspace. Her success must be 100%; her latency, with her own before the attack in the same
 * run, is printed (numbers in docs/security.md), not asserted.
 */
class PrincipalStreamAmplificationServedClientTest {
    private static final String SNI = "h2.ws.localhost";
    private static final int PER_PRINCIPAL = 40;
    private static final int ATTACK_CONNECTIONS = 3;
    private static final int STREAMS_PER_CONNECTION = 30;
    private static final int ORDINARY_REQUESTS = 100;

    @TempDir
    Path state;

    @Test
    void anotherUserIsServedWhileOneUserHoldsEveryWorkspaceConnectionItsPrincipalLimitAllows() throws Exception {
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state, config -> config.identity(identity)
                .limits(new Limits(1000, 0, Duration.ofSeconds(2)).withWorkspaceConnections(
                        new WorkspaceConnectionLimits(64, PER_PRINCIPAL, 1000, 0, 0))))) {
            gateway.server().accessState().orElseThrow().putShare(WorkspaceId.of(GatewayFixture.WORKSPACE),
                    PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));
            String bob = token(issuer, "bob");
            OrdinaryClient alice = new OrdinaryClient(gateway, token(issuer, GatewayFixture.OWNER));
            alice.run(20); // warm-up (JIT, TLS session code), not counted
            OrdinaryClient.Run before = alice.run(ORDINARY_REQUESTS);

            List<RawHttp2> attack = new ArrayList<>();
            try {
                List<CompletableFuture<String>> streams = new ArrayList<>();
                for (int i = 0; i < ATTACK_CONNECTIONS; i++) {
                    RawHttp2 connection = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), SNI);
                    attack.add(connection);
                    streams.addAll(connection.bodiesThatNeverEnd(endlessPost(gateway, bob), STREAMS_PER_CONNECTION));
                }
                Map<String, Long> attackOutcomes = streams.stream().map(s -> s.orTimeout(20, TimeUnit.SECONDS).join())
                        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));

                OrdinaryClient.Run during = alice.run(ORDINARY_REQUESTS);
                HttpResponse<String> bobsNextRequest = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/"))
                        .header("Authorization", "Bearer " + bob).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                System.out.printf("h2 stream amplification by one principal: attack streams %s; ordinary user during"
                                + " the attack %s; before it %s%n", attackOutcomes, during.summary(), before.summary());

                assertThat(before.served()).as("alice's requests served before the attack").isEqualTo(ORDINARY_REQUESTS);
                assertThat(attackOutcomes).as("bob's streams: his limit, and 503 beyond it")
                        .containsEntry("status 200", (long) PER_PRINCIPAL)
                        .containsEntry("status 503 retry-after 2", (long) (ATTACK_CONNECTIONS * STREAMS_PER_CONNECTION
                                - PER_PRINCIPAL))
                        .hasSize(2);
                assertThat(bobsNextRequest.statusCode()).isEqualTo(503);
                assertThat(bobsNextRequest.body()).contains("workspace-connection-limit")
                        .contains("limits.maxWorkspaceConnectionsPerPrincipal");
                assertThat(during.served()).as("alice's requests served during the attack").isEqualTo(ORDINARY_REQUESTS);
                assertThat(refusals(gateway, "per_principal")).isEqualTo(ATTACK_CONNECTIONS * STREAMS_PER_CONNECTION
                        - PER_PRINCIPAL + 1);
            } finally {
                attack.forEach(RawHttp2::close);
            }
        }
    }

    private static String token(DevelopmentIssuer issuer, String user) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, GatewayFixture.ORG, List.of(), false,
                Duration.ofMinutes(10)));
    }

    /** POST /echo as {@code bearer}: the demo workspace answers its head at once and echoes the body for as long as it lasts. */
    private static Http2Headers endlessPost(GatewayFixture gateway, String bearer) {
        Http2Headers headers = RawHttp2.headers().method("POST").scheme("https").path("/echo")
                .authority(gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort());
        headers.add("authorization", "Bearer " + bearer);
        return headers;
    }

    private static double refusals(GatewayFixture gateway, String limit) throws Exception {
        Matcher matcher = Pattern.compile("portcullis_workspace_connection_refusals_total\\{limit=\"" + limit
                + "\"} (\\S+)").matcher(gateway.scrapeMetrics());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
