package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.transport.Transport;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** HTTP/2 from the client (chosen by ALPN), translated to HTTP/1.1 toward the workspace. */
@OnEveryTransport
class Http2ProxyTest {
    @Parameter
    Transport transport;

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path state;

    private static HttpClient http2(GatewayFixture gateway) {
        return HttpClient.newBuilder().sslContext(gateway.clientTls()).version(HttpClient.Version.HTTP_2)
                .connectTimeout(TIMEOUT).build();
    }

    @Test
    void getOverHttp2ReachesTheWorkspaceWithItsHost() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpResponse<String> response = http2(gateway).send(HttpRequest.newBuilder(gateway.url("/")).timeout(TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains(DemoWorkspaceApp.PAGE_TITLE)
                    .contains("Host: " + gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE));
        }
    }

    @Test
    void streamedUploadOverHttp2ComesBackByteIdentical() throws Exception {
        byte[] body = new byte[5 * 1024 * 1024 + 17];
        new Random(3).nextBytes(body);
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpResponse<byte[]> response = http2(gateway).send(HttpRequest.newBuilder(gateway.url("/echo")).timeout(TIMEOUT)
                            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(MessageDigest.getInstance("SHA-256").digest(response.body()))
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(body));
        }
    }

    @Test
    void concurrentStreamsOnOneConnectionEachGetTheirOwnAnswer() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpClient client = http2(gateway);
            client.send(HttpRequest.newBuilder(gateway.url("/")).build(), HttpResponse.BodyHandlers.discarding());
            List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(gateway.url("/bytes?n=" + i * 1000)).timeout(TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }

            for (int i = 1; i <= 30; i++) {
                HttpResponse<byte[]> response = responses.get(i - 1).get();
                assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(response.body()).hasSize(i * 1000);
                assertThat(response.body()[i * 1000 - 1]).isEqualTo(DemoWorkspaceApp.patternByte(i * 1000 - 1));
            }
        }
    }

    @Test
    void gatewayAnswersOverHttp2ForUnknownWorkspaceAndClosedPort() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            HttpClient client = http2(gateway);

            HttpResponse<String> unknown = client.send(HttpRequest.newBuilder(gateway.url(3000, "nosuch", "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> closed = client.send(HttpRequest.newBuilder(
                    gateway.url(GatewayFixture.unusedPort(), GatewayFixture.WORKSPACE, "/")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(unknown.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("unknown-workspace");
            assertThat(closed.statusCode()).isEqualTo(502);
            assertThat(closed.body()).contains("port-not-served");
        }
    }
}
