package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpResponsesTest {

    @Test
    void readsTheContentLengthAndStopsAtTheBody() throws IOException {
        InputStream in = stream("HTTP/1.1 200 OK\r\nServer: x\r\ncontent-length: 4\r\n\r\nbody");

        assertThat(HttpResponses.readHeadForLength(in)).isEqualTo(4);
        assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("body");
    }

    @Test
    void rejectsAnErrorStatus() {
        assertThatThrownBy(() -> HttpResponses.readHeadForLength(stream("HTTP/1.1 502 Bad Gateway\r\n\r\n")))
                .hasMessageContaining("502");
    }

    @Test
    void rejectsAChunkedResponse() {
        assertThatThrownBy(() -> HttpResponses.readHeadForLength(
                stream("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))).hasMessageContaining("Content-Length");
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }
}
