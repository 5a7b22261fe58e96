package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHeads;
import dev.portcullis.gateway.transport.Transport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;

/**
 * Server-sent events pass through as they are written: the workspace sends its second event only
 * after the client has received the first through the gateway, so any buffering would deadlock.
 */
@OnEveryTransport
class StreamingResponseTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @Test
    void eachServerSentEventReachesTheClientBeforeTheNextIsWritten() throws Exception {
        CountDownLatch firstEventSeenByClient = new CountDownLatch(1);
        try (ServerSocket events = new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
             GatewayFixture gateway = GatewayFixture.start(transport, state)) {
            Thread workspace = Thread.ofVirtual().start(() -> serveTwoEvents(events, firstEventSeenByClient));

            HttpResponse<InputStream> response = gateway.httpClient().send(HttpRequest.newBuilder(
                            gateway.url(events.getLocalPort(), GatewayFixture.WORKSPACE, "/events")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));

            assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
            assertThat(lines.readLine()).isEqualTo("data: one");
            firstEventSeenByClient.countDown();
            assertThat(lines.readLine()).isEmpty();
            assertThat(lines.readLine()).isEqualTo("data: two");
            workspace.join(5_000);
        }
    }

    private static void serveTwoEvents(ServerSocket server, CountDownLatch firstEventSeenByClient) {
        try (Socket socket = server.accept()) {
            RawHeads.read(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk("data: one\n\n")).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (firstEventSeenByClient.await(10, TimeUnit.SECONDS)) {
                out.write((chunk("data: two\n\n") + "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the test fails on its own side
        }
    }

    private static String chunk(String data) {
        return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
    }
}
