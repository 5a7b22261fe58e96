package dev.portcullis.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.WorkspaceConnectionLimits;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.net.InetAddress;
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
 * HTTP/2 stream amplification (issue 17, item 1): every stream whose request body never ends holds
 * a workspace connection. Streams past a limit — per client connection, per principal (here, without
 * access control, the client address), per workspace — are answered {@code 503} with {@code
 * Retry-After}, counted by limit, and their leases go back when the streams end.
 */
class WorkspaceConnectionLimitsTest {
    private static final String SNI = "h2.ws.localhost";

    @TempDir
    Path state;

    @Test
    void streamsWhoseBodiesNeverEndStopAtThePerClientConnectionLimit() throws Exception {
        try (GatewayFixture gateway = start(new WorkspaceConnectionLimits(10, 1000, 1000, 0, 0));
             RawHttp2 attacker = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), SNI)) {

            Map<String, Long> outcomes = outcomes(attacker.bodiesThatNeverEnd(endlessPost(gateway), 30));

            assertThat(outcomes).containsEntry("status 200", 10L).containsEntry("status 503 retry-after 2", 20L)
                    .hasSize(2);
            assertThat(refusals(gateway, "per_client_connection")).isEqualTo(20.0);
        }
    }

    @Test
    void perPrincipalLimitCountsStreamsOnEveryConnectionOfTheAddressAndSparesOtherClients() throws Exception {
        try (GatewayFixture gateway = start(new WorkspaceConnectionLimits(64, 20, 1000, 0, 0))) {
            List<RawHttp2> connections = new ArrayList<>();
            List<CompletableFuture<String>> streams = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    RawHttp2 connection = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), SNI, attacker());
                    connections.add(connection);
                    streams.addAll(connection.bodiesThatNeverEnd(endlessPost(gateway), 15));
                }

                assertThat(outcomes(streams)).containsEntry("status 200", 20L)
                        .containsEntry("status 503 retry-after 2", 25L).hasSize(2);
                assertThat(ordinaryRequest(gateway).statusCode()).as("another address").isEqualTo(200);
                assertThat(refusals(gateway, "per_principal")).isEqualTo(25.0);
            } finally {
                connections.forEach(RawHttp2::close);
            }
        }
    }

    @Test
    void perWorkspaceLimitRefusesEveryoneUntilTheHeldStreamsEnd() throws Exception {
        try (GatewayFixture gateway = start(new WorkspaceConnectionLimits(64, 256, 12, 0, 0))) {
            RawHttp2 attacker = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), SNI, attacker());
            try {
                Map<String, Long> outcomes = outcomes(attacker.bodiesThatNeverEnd(endlessPost(gateway), 12));
                assertThat(outcomes).containsEntry("status 200", 12L).hasSize(1);

                HttpResponse<String> refused = ordinaryRequest(gateway);
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.headers().firstValue("retry-after")).hasValue("2");
                assertThat(refused.body()).contains("workspace-connection-limit")
                        .contains("limits.maxWorkspaceConnectionsPerWorkspace");
                assertThat(refusals(gateway, "per_workspace")).isEqualTo(1.0);
            } finally {
                attacker.close();
            }

            // The streams ended with their connection: their leases went back.
            await().atMost(Duration.ofSeconds(10)).until(() -> ordinaryRequest(gateway).statusCode() == 200);
            assertThat(gateway.scrapeMetrics()).contains("portcullis_workspace_connections_held 0.0");
        }
    }

    private GatewayFixture start(WorkspaceConnectionLimits limits) throws Exception {
        return GatewayFixture.start(Transport.best(), state, config -> config.limits(
                new dev.portcullis.gateway.config.Limits(1000, 0, Duration.ofSeconds(2)).withWorkspaceConnections(limits)));
    }

    private static InetAddress attacker() throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
    }

    /** POST /echo: the demo workspace answers its head at once and echoes the body for as long as it lasts. */
    private static Http2Headers endlessPost(GatewayFixture gateway) {
        return RawHttp2.headers().method("POST").scheme("https").path("/echo")
                .authority(gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort());
    }

    private static Map<String, Long> outcomes(List<CompletableFuture<String>> streams) {
        return streams.stream().map(stream -> stream.orTimeout(10, TimeUnit.SECONDS).join())
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    /** A GET of / from 127.0.0.1 over a new HTTP/1.1 connection. */
    private static HttpResponse<String> ordinaryRequest(GatewayFixture gateway) throws IOException, InterruptedException {
        try (var client = gateway.httpClient()) {
            return client.send(HttpRequest.newBuilder(gateway.url("/")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static double refusals(GatewayFixture gateway, String limit) throws IOException, InterruptedException {
        Matcher matcher = Pattern.compile("portcullis_workspace_connection_refusals_total\\{limit=\"" + limit
                + "\"} (\\S+)").matcher(gateway.scrapeMetrics());
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
