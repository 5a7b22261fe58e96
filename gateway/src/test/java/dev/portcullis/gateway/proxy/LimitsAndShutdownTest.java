package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/** Limits on bodies and connections, and a shutdown that lets requests in flight finish. */
@OnEveryTransport
class LimitsAndShutdownTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void bodyDeclaredLargerThanTheLimitIs413AndNothingIsForwarded() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state,
                config -> config.limits(new Limits(100, 1000, Duration.ofSeconds(2))));
             RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                    "POST /upload HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 5000\r\n\r\n" + "x".repeat(5000));

            assertThat(answer).startsWith("HTTP/1.1 413 ").contains("\"error\":\"body-too-large\"");
            assertThat(workspace.connections()).isZero();
        }
    }

    @Test
    void chunkedBodyGrowingPastTheLimitIs413AndTheWorkspaceNeverSeesItsEnd() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state,
                config -> config.limits(new Limits(100, 1000, Duration.ofSeconds(2))));
             RecordingBackend workspace = new RecordingBackend()) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
            String chunk = Integer.toHexString(600) + "\r\n" + "y".repeat(600) + "\r\n";

            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                    "POST /upload HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + chunk + chunk + chunk + "0\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 413 ");
            // An absence: it must hold for a while after the answer, not just at one instant.
            await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(workspace.received()).doesNotEndWith("0\r\n\r\n"));
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtAccept() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state,
                config -> config.limits(new Limits(2, 0, Duration.ofSeconds(2))))) {
            List<SSLSocket> open = new ArrayList<>(List.of(handshake(gateway), handshake(gateway)));
            try {
                assertThatThrownBy(() -> handshake(gateway).close()).isInstanceOf(IOException.class);

                open.remove(0).close();
                awaitMetric(gateway, "portcullis_active_connections 1");
                open.add(handshake(gateway));
                assertThat(open.get(1).getSession().isValid()).as("room again once one closed").isTrue();
            } finally {
                for (SSLSocket socket : open) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void shutdownLetsARequestInFlightFinishClosesIdleConnectionsAndRefusesNewOnes() throws Exception {
        GatewayFixture gateway = GatewayFixture.start(transport, state,
                config -> config.limits(new Limits(100, 0, Duration.ofSeconds(10))));
        try (SSLSocket idle = handshake(gateway)) {
            CompletableFuture<HttpResponse<String>> slow = gateway.httpClient().sendAsync(
                    HttpRequest.newBuilder(gateway.url("/slow?ms=1500")).build(), HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.workspaceRequests() == 1); // in flight at the workspace

            long start = System.nanoTime();
            gateway.close();
            long closeMillis = (System.nanoTime() - start) / 1_000_000;

            HttpResponse<String> response = slow.get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).startsWith("answered after 1500 ms");
            assertThat(closeMillis).as("close waited for the request, not for the drain timeout").isBetween(500L, 8_000L);
            InputStream in = idle.getInputStream();
            assertThat(in.read()).as("the idle connection was closed").isEqualTo(-1);
            assertThatThrownBy(() -> new Socket("127.0.0.1", gateway.gatewayPort()).close()).isInstanceOf(ConnectException.class);
        }
    }

    private static SSLSocket handshake(GatewayFixture gateway) throws Exception {
        SSLSocket socket = (SSLSocket) gateway.clientTls().getSocketFactory().createSocket("127.0.0.1", gateway.gatewayPort());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("3000-demo.ws.localhost")));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(5_000);
        socket.startHandshake();
        return socket;
    }

    private static void awaitMetric(GatewayFixture gateway, String line) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(gateway.scrapeMetrics()).contains(line));
    }
}
