package dev.portcullis.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** What an operator sees: health, readiness, Prometheus metrics, and one access-log line per request. */
class AdminAndAccessLogTest {
    @TempDir
    Path state;

    private final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();
    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("portcullis.access");

    @BeforeEach
    void captureAccessLog() {
        accessLog.start();
        accessLogger.addAppender(accessLog);
    }

    @AfterEach
    void releaseAccessLog() {
        accessLogger.detachAppender(accessLog);
    }

    @Test
    void healthAndReadinessAnswerOnTheAdminListener() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state)) {
            HttpClient admin = HttpClient.newHttpClient();

            assertThat(get(admin, gateway, "/healthz")).isEqualTo("200 ok\n");
            assertThat(get(admin, gateway, "/readyz")).isEqualTo("200 ready\n");
            assertThat(get(admin, gateway, "/nothing")).startsWith("404 ");
        }
    }

    @Test
    void metricsCountRequestsByWhoAnsweredAndBytesByWorkspace() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state)) {
            HttpClient client = gateway.httpClient();
            client.send(HttpRequest.newBuilder(gateway.url("/bytes?n=5000")).build(), HttpResponse.BodyHandlers.ofString());
            client.send(HttpRequest.newBuilder(gateway.url(3000, "nosuch", "/")).build(), HttpResponse.BodyHandlers.ofString());

            String metrics = gateway.scrapeMetrics();

            assertThat(metrics)
                    .contains("portcullis_requests_total{answered_by=\"workspace\",code_class=\"2xx\"} 1")
                    .contains("portcullis_requests_total{answered_by=\"gateway\",code_class=\"4xx\"} 1")
                    .contains("portcullis_gateway_errors_total{error=\"unknown-workspace\"} 1")
                    .contains("portcullis_bytes_total{direction=\"to_client\",workspace=\"demo\"} 5000")
                    .contains("portcullis_request_duration_seconds_count 2");
        }
    }

    @Test
    void accessLogHasOneLinePerRequestWithoutTheQueryString() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state)) {
            gateway.httpClient().send(HttpRequest.newBuilder(gateway.url("/bytes?n=1234&access_token=secret")).build(),
                    HttpResponse.BodyHandlers.ofString());

            awaitAccessLogLines(1);
            String line = accessLog.list.get(0).getFormattedMessage();
            assertThat(line).contains("method=GET", "path=\"/bytes\"", "workspace=demo", "status=200",
                    "answered_by=workspace", "bytes_out=1234", "port=" + gateway.workspacePort());
            assertThat(line).doesNotContain("secret");
        }
    }

    private void awaitAccessLogLines(int count) {
        Awaitility.await(count + " access log lines").atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(accessLog.list).hasSizeGreaterThanOrEqualTo(count));
    }

    private static String get(HttpClient client, GatewayFixture gateway, String path) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(gateway.adminUrl(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }
}
