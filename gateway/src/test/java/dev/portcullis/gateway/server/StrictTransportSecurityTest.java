package dev.portcullis.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17, item 8: every HTTPS response carries Strict-Transport-Security, unless configured off. */
class StrictTransportSecurityTest {
    @TempDir
    Path state;

    @Test
    void workspaceAndGatewayAnswersCarryAYearOfHstsOverBothProtocols() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state)) {
            for (HttpClient.Version version : HttpClient.Version.values()) {
                HttpClient client = HttpClient.newBuilder().sslContext(gateway.clientTls()).version(version).build();

                HttpResponse<String> workspace = client.send(HttpRequest.newBuilder(gateway.url("/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                HttpResponse<String> unknown = client.send(HttpRequest.newBuilder(
                        gateway.url(gateway.workspacePort(), "nosuchws", "/")).build(), HttpResponse.BodyHandlers.ofString());

                assertThat(workspace.statusCode()).as(version + " workspace").isEqualTo(200);
                assertThat(workspace.headers().allValues("strict-transport-security")).as(version + " workspace")
                        .containsExactly("max-age=31536000");
                assertThat(unknown.statusCode()).as(version + " gateway's own answer").isEqualTo(404);
                assertThat(unknown.headers().allValues("strict-transport-security")).as(version + " gateway's own answer")
                        .containsExactly("max-age=31536000");
            }
        }
    }

    @Test
    void zeroMaxAgeSendsNoHeader() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state,
                config -> config.tls(GatewayFixture.demoTls(state).withHstsMaxAge(Duration.ZERO)))) {
            HttpResponse<String> response = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("strict-transport-security")).isEmpty();
        }
    }
}
