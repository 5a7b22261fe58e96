package dev.portcullis.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.RawHttp2Frames;
import dev.portcullis.gateway.testing.RecordingBackend;
import dev.portcullis.gateway.transport.Transport;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.slf4j.LoggerFactory;

/**
 * How HTTP/2 requests and connections that end in an error are recorded: a connection error is
 * counted and logged as one line (never Netty's "reached at the tail of the pipeline" warning with a
 * stack trace), and a stream cut short is logged with a status and the cause, not {@code status=0
 * error=-}.
 */
@OnEveryTransport
class Http2ErrorEndingsTest {
    private static final int RST_STREAM = 0x3;
    private static final byte[] CANCEL = {0, 0, 0, 0x8};

    @Parameter
    Transport transport;

    @TempDir
    Path state;

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final List<Logger> watched = List.of(
            (Logger) LoggerFactory.getLogger("portcullis.access"),
            (Logger) LoggerFactory.getLogger("io.netty.channel.DefaultChannelPipeline"),
            (Logger) LoggerFactory.getLogger(Http2ConnectionEnd.class));
    private GatewayFixture gateway;
    private RecordingBackend workspace;
    private String authority;

    @BeforeEach
    void start() throws Exception {
        logged.start();
        watched.forEach(logger -> logger.addAppender(logged));
        gateway = GatewayFixture.start(transport, state);
        workspace = new RecordingBackend(); // answers nothing
        authority = gateway.host(workspace.port(), GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort();
    }

    @AfterEach
    void stop() throws Exception {
        watched.forEach(logger -> logger.detachAppender(logged));
        workspace.close();
        gateway.close();
    }

    @Test
    void aConnectionErrorIsCountedAndLoggedAsOneLineWithoutNettysUnhandledWarning() throws Exception {
        try (RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), "h2.ws.localhost")) {
            raw.frame(RawHttp2Frames.DATA, 0, 0, new byte[1]); // DATA on stream 0: PROTOCOL_ERROR (RFC 9113 §6.1)

            RawHttp2Frames.GoAway goAway = raw.goAwayBeforeClose();

            // Counting and logging must not close first: that would send GOAWAY NO_ERROR instead.
            assertThat(goAway).as("GOAWAY, then the connection closed").isNotNull();
            assertThat(goAway.errorCode()).as("GOAWAY's error code").isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        }

        Awaitility.await("the connection error's line").atMost(Duration.ofSeconds(5))
                .until(() -> lines(Http2ConnectionEnd.class.getName()).size() == 1);
        assertThat(lines(Http2ConnectionEnd.class.getName()).getFirst()).contains("protocol_error");
        assertThat(logged.list).as("Netty's warning for an exception nobody handled")
                .noneMatch(event -> event.getFormattedMessage().contains("reached at the tail of the pipeline"));
        assertThat(logged.list).noneMatch(event -> event.getThrowableProxy() != null);
        assertThat(metrics()).contains("portcullis_http2_connection_errors_total{error=\"protocol_error\"} 1.0");
    }

    @Test
    void aStreamTheClientResetsWhileTheWorkspaceIsSilentIsLogged499WithTheResetCode() throws Exception {
        try (RawHttp2Frames raw = new RawHttp2Frames(gateway.clientTls(), gateway.gatewayPort(), "h2.ws.localhost")) {
            raw.frame(RawHttp2Frames.HEADERS, RawHttp2Frames.END_HEADERS | RawHttp2Frames.END_STREAM, 1,
                    RawHttp2Frames.getRequestBlock(authority));
            raw.flush();
            workspace.awaitRequestHead(); // the request is with the workspace, which never answers

            raw.frame(RST_STREAM, 0, 1, CANCEL);
            raw.flush();

            String line = awaitAccessLine();
            assertThat(line).contains("status=499").contains("error=client-reset-cancel").contains("answered_by=workspace");
        }
    }

    @Test
    void aStreamResetForAProtocolErrorIsLogged400WithTheStreamError() throws Exception {
        Http2Headers headers = RawHttp2.headers().method("POST").scheme("https").authority(authority).path("/")
                .add("content-length", "10");
        try (RawHttp2 client = new RawHttp2(state.resolve("tls/ca.pem"), gateway.gatewayPort(), "h2.ws.localhost")) {
            String outcome = client.exchange(headers, "short"); // DATA shorter than its content-length

            assertThat(outcome).startsWith("reset");
        }

        assertThat(awaitAccessLine()).contains("status=400").contains("error=stream-error-protocol-error");
    }

    private String awaitAccessLine() {
        Awaitility.await("the access log's line").atMost(Duration.ofSeconds(5))
                .until(() -> !lines("portcullis.access").isEmpty());
        List<String> lines = lines("portcullis.access");
        assertThat(lines).hasSize(1);
        return lines.getFirst();
    }

    private List<String> lines(String logger) {
        return logged.list.stream().filter(event -> event.getLoggerName().equals(logger))
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private String metrics() throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        }
    }
}
