package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 9110/9112 strictness: each malformed or ambiguous request is sent as raw bytes and must be
 * answered 400 with the connection closed, while the workspace receives nothing — or, for a body
 * that turns bad midway, never a complete request. {@code HOST} in a case is replaced by the
 * recording workspace's host name.
 */
@OnEveryTransport
class StrictParsingTest {
    @Parameter
    Transport transport;

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder().build();

    private GatewayFixture gateway;
    private RecordingBackend workspace;
    private String host;

    @BeforeEach
    void start() throws Exception {
        gateway = GATEWAY.fixture();
        workspace = new RecordingBackend();
        host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);
    }

    @AfterEach
    void stop() throws Exception {
        workspace.close();
    }

    static Stream<Arguments> headRejections() {
        return Stream.of(
                Arguments.of("Content-Length with Transfer-Encoding",
                        "POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("two Content-Length values",
                        "POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
                Arguments.of("Content-Length list", "POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 5, 5\r\n\r\nhello"),
                Arguments.of("Content-Length with a sign", "POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: +5\r\n\r\nhello"),
                Arguments.of("Content-Length in hex", "POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 0x5\r\n\r\nhello"),
                Arguments.of("Transfer-Encoding list",
                        "POST / HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("Transfer-Encoding gzip", "POST / HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: gzip\r\n\r\n"),
                Arguments.of("Transfer-Encoding identity",
                        "POST / HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: identity\r\n\r\n"),
                Arguments.of("Transfer-Encoding twice",
                        "POST / HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("Transfer-Encoding in HTTP/1.0",
                        "POST / HTTP/1.0\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("whitespace before a colon", "GET / HTTP/1.1\r\nHost: HOST\r\nX-Test : a\r\n\r\n"),
                Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: HOST\r\nX-Test: a\r\n b\r\n\r\n"),
                Arguments.of("bare LF line ends", "GET / HTTP/1.1\nHost: HOST\n\n"),
                Arguments.of("bare LF in the header block", "GET / HTTP/1.1\r\nHost: HOST\nX-Test: a\r\n\r\n"),
                Arguments.of("bare CR in the header block", "GET / HTTP/1.1\r\nHost: HOST\rX-Test: a\r\n\r\n"),
                Arguments.of("NUL in a header value", "GET / HTTP/1.1\r\nHost: HOST\r\nX-Test: a\u0000b\r\n\r\n"),
                Arguments.of("CR in a header value", "GET / HTTP/1.1\r\nHost: HOST\r\nX-Test: a\rb\r\n\r\n"),
                Arguments.of("space in a header name", "GET / HTTP/1.1\r\nHost: HOST\r\nX Test: a\r\n\r\n"),
                Arguments.of("invalid character in a header name", "GET / HTTP/1.1\r\nHost: HOST\r\nX\"Test: a\r\n\r\n"),
                Arguments.of("two Host headers", "GET / HTTP/1.1\r\nHost: HOST\r\nHost: HOST\r\n\r\n"),
                Arguments.of("absolute-form URI for another host",
                        "GET https://other.example.com/ HTTP/1.1\r\nHost: HOST\r\n\r\n"),
                Arguments.of("relative request target", "GET index.html HTTP/1.1\r\nHost: HOST\r\n\r\n"),
                Arguments.of("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: HOST\r\n\r\n"),
                Arguments.of("trailing space in the request line", "GET / HTTP/1.1 \r\nHost: HOST\r\n\r\n"),
                Arguments.of("lowercase version", "GET / http/1.1\r\nHost: HOST\r\n\r\n"),
                Arguments.of("unknown version", "GET / HTTP/1.2\r\nHost: HOST\r\n\r\n"),
                Arguments.of("invalid method token", "G(T / HTTP/1.1\r\nHost: HOST\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headRejections")
    void rejectsWith400AndForwardsNothing(String name, String request) throws Exception {
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host, request.replace("HOST", host));

        assertThat(answer).as(name).startsWith("HTTP/1.1 400 ").contains("connection: close");
        assertThat(workspace.connections()).as("connections the workspace saw").isZero();
    }

    static Stream<Arguments> bodyRejections() {
        return Stream.of(
                Arguments.of("negative chunk size", "-5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size with 0x", "0x5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size with a sign", "+5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("space before the chunk size", " 5\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk size overflow", "fffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
                Arguments.of("chunk data without CRLF", "5\r\nhelloXX0\r\n\r\n"),
                // The trailer section has the head's grammar; a fuzz run found Netty joining a folded trailer line.
                Arguments.of("obs-fold in the trailers", "5\r\nhello\r\n0\r\nX-Sum: a\r\n \r\n\r\n"),
                Arguments.of("obs-fold after a padded last chunk", "5\r\nhello\r\n000;x=y\r\nX-Sum: a\r\n\tb\r\n\r\n"),
                Arguments.of("bare LF in the trailers", "5\r\nhello\r\n0\r\nX-Sum: a\nX-B: c\r\n\r\n"),
                Arguments.of("whitespace before a trailer's colon", "5\r\nhello\r\n0\r\nX-Sum : a\r\n\r\n"),
                Arguments.of("NUL in a trailer value", "5\r\nhello\r\n0\r\nX-Sum: a\u0000b\r\n\r\n"),
                Arguments.of("more than 100 trailer fields", "5\r\nhello\r\n0\r\n" + "X-Sum: a\r\n".repeat(101) + "\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodyRejections")
    void badChunkedBodyIs400AndTheWorkspaceNeverSeesACompleteRequest(String name, String body) throws Exception {
        String request = "POST /upload HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body;

        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host, request);

        assertThat(answer).as(name).startsWith("HTTP/1.1 400 ");
        awaitClosedUpstreams();
        assertThat(workspace.received()).as("what the workspace received").doesNotEndWith("0\r\n\r\n");
    }

    /**
     * Issue 17, item 7: the head alone was forwarded as soon as the workspace connection was up, so
     * a body that turned out malformed left a half request at the workspace. Now the head waits for
     * the first chunk to decode cleanly, and the workspace receives nothing at all.
     */
    @Test
    void headWhoseFirstChunkIsMalformedNeverReachesTheWorkspace() throws Exception {
        String answer;
        try (SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> workspace.connections() == 1); // the head is routed

            out.write("zz\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }

        assertThat(answer).startsWith("HTTP/1.1 400 ");
        awaitClosedUpstreams();
        assertThat(workspace.received()).as("what the workspace received").isEmpty();
    }

    @Test
    void wellFormedChunkedBodyStillReachesTheWorkspaceWithItsHead() throws Exception {
        try (SSLSocket socket = RawHttps.open(gateway.clientTls(), gateway.gatewayPort(), host)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: " + host + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> workspace.connections() == 1);

            out.write("5\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();

            await().atMost(Duration.ofSeconds(10)).until(() -> workspace.received().endsWith("0\r\n\r\n"));
            assertThat(workspace.received()).startsWith("POST /upload HTTP/1.1\r\n").contains("\r\n\r\n5\r\nhello\r\n");
        }
    }

    @Test
    void moreThan100HeaderFieldsIs431AndForwardsNothing() throws Exception {
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 100; i++) { // with Host, 101 fields
            fields.append("X-F").append(i).append(": v\r\n");
        }
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                "GET / HTTP/1.1\r\nHost: " + host + "\r\n" + fields + "\r\n");

        assertThat(answer).startsWith("HTTP/1.1 431 ");
        assertThat(workspace.connections()).isZero();
    }

    @Test
    void exactly100HeaderFieldsAreAccepted() throws Exception {
        String demo = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < 98; i++) { // with Host and Connection, 100 fields
            fields.append("X-F").append(i).append(": v\r\n");
        }
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), demo,
                "GET / HTTP/1.1\r\nHost: " + demo + "\r\nConnection: close\r\n" + fields + "\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void pipelinedRequestsInOneWriteAreEachCheckedAndAnsweredInOrder() throws Exception {
        String demo = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), demo,
                "GET /first HTTP/1.1\r\nHost: " + demo + "\r\n\r\n"
                        + "GET /second HTTP/1.1\r\nHost: " + demo + "\r\nX-Bad : folded\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 404 ").contains("no such page in the demo workspace");
        assertThat(answer.substring(answer.indexOf("no such page"))).contains("HTTP/1.1 400 ");
    }

    @Test
    void absoluteFormForTheSameHostReachesTheWorkspaceInOriginForm() throws Exception {
        String demo = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), demo,
                "GET https://" + demo + "/ HTTP/1.1\r\nHost: " + demo + "\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ").contains(DemoWorkspaceApp.PAGE_TITLE);
    }

    @Test
    void requestLineOver8KiBIs414() throws Exception {
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                "GET /" + "a".repeat(9 * 1024) + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 414 ");
        assertThat(workspace.connections()).isZero();
    }

    @Test
    void headerBlockOver16KiBIs431() throws Exception {
        String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                "GET / HTTP/1.1\r\nHost: " + host + "\r\nX-Big: " + "b".repeat(17 * 1024) + "\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 431 ");
        assertThat(workspace.connections()).isZero();
    }

    private void awaitClosedUpstreams() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (workspace.closedConnections() < workspace.connections() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(workspace.closedConnections()).as("workspace connections closed").isEqualTo(workspace.connections());
    }
}
