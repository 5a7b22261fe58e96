package dev.portcullis.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 8: an anonymous {@code /metrics} listed workspace ids. Now the read token gets
 * every series; without it a loopback admin listener serves only series that name no workspace, and
 * a listener elsewhere serves nothing.
 */
class AdminMetricsAccessTest {
    private static final String TOKEN = "read-token-0123456789abcdef";

    @TempDir
    Path state;

    @Test
    void anonymousScrapeOnLoopbackNamesNoWorkspaceWhileTheTokenSeesThemAll() throws Exception {
        Path tokenFile = Files.writeString(state.resolve("test-read-token"), TOKEN + "\n");
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state,
                config -> config.adminReadTokenFile(tokenFile))) {
            HttpResponse<String> page = gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200); // counts bytes for workspace "demo"

            HttpResponse<String> anonymous = get(gateway.adminUrl("/metrics"), null);
            HttpResponse<String> withToken = get(gateway.adminUrl("/metrics"), TOKEN);
            HttpResponse<String> wrongToken = get(gateway.adminUrl("/metrics"), TOKEN + "x");

            assertThat(anonymous.statusCode()).isEqualTo(200);
            assertThat(anonymous.body()).contains("portcullis_active_connections")
                    .doesNotContain("workspace=\"" + GatewayFixture.WORKSPACE + "\"");
            assertThat(withToken.statusCode()).isEqualTo(200);
            assertThat(withToken.body()).contains("workspace=\"" + GatewayFixture.WORKSPACE + "\"");
            assertThat(wrongToken.statusCode()).isEqualTo(401);
            assertThat(wrongToken.body()).doesNotContain(GatewayFixture.WORKSPACE);
        }
    }

    @Test
    void adminListenerOffLoopbackServesMetricsOnlyWithTheToken() throws Exception {
        Path tokenFile = Files.writeString(state.resolve("test-read-token"), TOKEN);
        // Bound to every interface, so "elsewhere"; the test still talks to it over loopback only.
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state,
                config -> config.adminListen(new InetSocketAddress("0.0.0.0", 0)).adminReadTokenFile(tokenFile))) {
            URI metrics = URI.create("http://127.0.0.1:" + gateway.server().adminAddress().getPort() + "/metrics");

            HttpResponse<String> anonymous = get(metrics, null);
            HttpResponse<String> withToken = get(metrics, TOKEN);
            HttpResponse<String> health = get(URI.create("http://127.0.0.1:" + gateway.server().adminAddress().getPort()
                    + "/healthz"), null);

            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"portcullis-admin\"");
            assertThat(anonymous.body()).doesNotContain("portcullis_");
            assertThat(withToken.statusCode()).isEqualTo(200);
            assertThat(withToken.body()).contains("portcullis_active_connections");
            assertThat(health.statusCode()).as("health stays open for load balancers").isEqualTo(200);
        }
    }

    private static HttpResponse<String> get(URI uri, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
