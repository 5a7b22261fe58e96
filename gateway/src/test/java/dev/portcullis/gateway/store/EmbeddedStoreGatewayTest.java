package dev.portcullis.gateway.store;

import static dev.portcullis.gateway.store.StoreGateways.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.TunnelWatcher;
import dev.portcullis.store.StoreSettings;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One machine, nothing to install: the gateway keeps shares and policies in an embedded store
 * file. The fixture's static route {@code demo} (alice's, in acme) is what is shared.
 */
class EmbeddedStoreGatewayTest {
    @TempDir
    Path folder;

    private StoreGateways setup;
    private StoreSettings store;
    private GatewayFixture gateway;

    @BeforeEach
    void start() throws Exception {
        setup = new StoreGateways(folder);
        store = StoreSettings.embedded(folder.resolve("store.json"));
        gateway = setup.start(folder.resolve("g"), store);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    private String sharePath() {
        return "/api/v1/shares/" + GatewayFixture.WORKSPACE + "/" + gateway.workspacePort();
    }

    @Test
    void aShareSetThroughTheApiIsEnforcedAndSurvivesARestart() throws Exception {
        String bob = setup.token("bob", "acme");
        int port = gateway.workspacePort();
        assertThat(status(gateway, GatewayFixture.WORKSPACE, port, bob)).isEqualTo(403);

        HttpResponse<String> shared = setup.call(gateway, "PUT", sharePath(), setup.token("alice", "acme"),
                "{\"level\":\"organization\"}");
        assertThat(shared.statusCode()).as(shared.body()).isEqualTo(200);
        assertThat(status(gateway, GatewayFixture.WORKSPACE, port, bob)).isEqualTo(200);

        gateway.close();
        gateway = setup.start(folder.resolve("g"), store);

        // The restarted fixture's demo app listens elsewhere: on the shared port bob is let through
        // (usually 502, nothing listens there any more; but the OS may already have handed the freed
        // port to another listener, the new gateway's redirect listener among them, which answered
        // 308 once), on the new port he is not.
        assertThat(status(gateway, GatewayFixture.WORKSPACE, port, bob)).as("let through, not refused")
                .isNotIn(401, 403);
        assertThat(status(gateway, GatewayFixture.WORKSPACE, gateway.workspacePort(), bob)).isEqualTo(403);
        assertThat(setup.call(gateway, "GET", "/api/v1/shares/" + GatewayFixture.WORKSPACE, setup.token("alice", "acme"), null)
                .body()).contains("\"port\":" + port + ",\"level\":\"organization\"");
        assertThat(setup.get(gateway.adminUrl("/readyz")).statusCode()).isEqualTo(200);
    }

    @Test
    void revokingAShareClosesTheTunnelWithinASecond() throws Exception {
        String alice = setup.token("alice", "acme");
        setup.call(gateway, "PUT", sharePath(), alice, "{\"level\":\"organization\"}");
        TunnelWatcher tunnel = new TunnelWatcher();
        gateway.httpClient().newWebSocketBuilder().connectTimeout(StoreGateways.TIMEOUT)
                .header("Authorization", "Bearer " + setup.token("bob", "acme"))
                .buildAsync(URI.create("wss://" + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE) + ":"
                        + gateway.gatewayPort() + "/echo"), tunnel).get(10, TimeUnit.SECONDS);

        long revokedAt = System.nanoTime();
        assertThat(setup.call(gateway, "DELETE", sharePath(), alice, null).statusCode()).isEqualTo(204);

        tunnel.closed.get(5, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aWriteFromAnOutdatedReadIsAConflict() throws Exception {
        String alice = setup.token("alice", "acme");
        String etag = setup.call(gateway, "PUT", sharePath(), alice, "{\"level\":\"organization\"}")
                .headers().firstValue("ETag").orElseThrow();
        assertThat(setup.call(gateway, "PUT", sharePath(), alice, "{\"level\":\"owner\"}").statusCode()).isEqualTo(200);

        HttpResponse<String> stale = setup.call(gateway, "PUT", sharePath(), alice, "{\"level\":\"public\"}",
                Map.of("If-Match", etag));

        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(setup.call(gateway, "GET", sharePath(), alice, null).body()).contains("\"level\":\"owner\"");
    }

    @Test
    void aSecondGatewayCannotOpenTheSameStoreFile() {
        assertThatThrownBy(() -> setup.start(folder.resolve("g2"), store))
                .hasMessageContaining("store.json");
    }
}
