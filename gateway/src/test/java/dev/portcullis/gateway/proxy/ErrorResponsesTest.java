package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.pages.Pages;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Browsers navigating get pages; every other client keeps the JSON bodies exactly as before. */
class ErrorResponsesTest {

    @Test
    void aNavigationGetsAPageAndFetchOrAnApiGetsJson() {
        assertThat(ErrorResponses.wantsPage(new DefaultHttpHeaders().add("sec-fetch-mode", "navigate"))).isTrue();
        assertThat(ErrorResponses.wantsPage(new DefaultHttpHeaders().add("accept", "text/html,application/xhtml+xml")))
                .isTrue();
        // fetch() and XHR send Sec-Fetch-Mode cors or no-cors, whatever they accept.
        assertThat(ErrorResponses.wantsPage(new DefaultHttpHeaders().add("sec-fetch-mode", "cors")
                .add("accept", "text/html"))).isFalse();
        assertThat(ErrorResponses.wantsPage(new DefaultHttpHeaders().add("sec-fetch-mode", "websocket"))).isFalse();
        assertThat(ErrorResponses.wantsPage(new DefaultHttpHeaders().add("accept", "application/json"))).isFalse();
        assertThat(ErrorResponses.wantsPage(new DefaultHttpHeaders())).isFalse();
    }

    @Test
    void theJsonBodyIsUnchanged() {
        FullHttpResponse response = ErrorResponses.create(UnpooledByteBufAllocator.DEFAULT, ProxyError.FORBIDDEN,
                "You (bob) may not \"reach\" it.", List.of("share-org", "not-org-member"), null, false);

        assertThat(response.content().toString(StandardCharsets.UTF_8)).isEqualTo("{\"status\":403,\"error\":\"forbidden\","
                + "\"message\":\"You (bob) may not \\\"reach\\\" it.\",\"reasons\":[\"share-org\",\"not-org-member\"]}\n");
        assertThat(response.headers().get("content-type")).isEqualTo("application/json");
        assertThat(response.headers().contains("content-security-policy")).isFalse();
        response.release();
    }

    @Test
    void aPageComesWithItsContentSecurityPolicy() {
        FullHttpResponse response = ErrorResponses.create(UnpooledByteBufAllocator.DEFAULT, ProxyError.WORKSPACE_NOT_RUNNING,
                "stopped", List.of(), new Pages.Context("3000-ws.example", "ws", 3000, null), false);

        assertThat(response.headers().get("content-type")).isEqualTo("text/html; charset=utf-8");
        assertThat(response.headers().get("content-security-policy")).startsWith("default-src 'none';");
        assertThat(response.headers().get("retry-after")).isEqualTo("10");
        assertThat(response.content().toString(StandardCharsets.UTF_8)).contains("This workspace is stopped");
        response.release();
    }
}
