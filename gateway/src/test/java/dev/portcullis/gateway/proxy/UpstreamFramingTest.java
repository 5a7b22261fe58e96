package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.testing.ScriptedBackend;
import dev.portcullis.gateway.transport.Transport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A workspace response whose length two parsers could read differently is never relayed. */
@OnEveryTransport
class UpstreamFramingTest {
    @Parameter
    Transport transport;

    @TempDir
    Path state;

    @ParameterizedTest
    @ValueSource(strings = {
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nhello"})
    void ambiguousResponseIs502(String response) throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             ScriptedBackend workspace = new ScriptedBackend(response)) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                    "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 502 ").contains("\"error\":\"bad-upstream-response\"")
                    .doesNotContain("hello");
        }
    }

    @Test
    void foldedResponseHeaderReachesTheClientUnfolded() throws Exception {
        // RFC 9112 §5.2: a proxy either refuses obs-fold or replaces it with a space before forwarding.
        try (GatewayFixture gateway = GatewayFixture.start(transport, state);
             ScriptedBackend workspace = new ScriptedBackend(
                     "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 5\r\n\r\nhello")) {
            String host = gateway.host(workspace.port(), GatewayFixture.WORKSPACE);

            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host,
                    "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");

            assertThat(answer).startsWith("HTTP/1.1 200 ").contains("X-Folded: a b\r\n").doesNotContain("a\r\n b");
        }
    }
}
