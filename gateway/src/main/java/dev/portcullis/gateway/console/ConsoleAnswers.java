package dev.portcullis.gateway.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The console's answers. Every one is {@code no-store} and carries a Content-Security-Policy that
 * allows the console's own script and style sheet (served from this host) and nothing else: no
 * inline code, no other origin, no framing, forms only to this host.
 */
final class ConsoleAnswers {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] STYLE = resource("console.css");
    static final byte[] SCRIPT = resource("console.js");

    private ConsoleAnswers() {}

    static FullHttpResponse html(HttpResponseStatus status, String page) {
        return answer(status, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
    }

    static FullHttpResponse json(HttpResponseStatus status, JsonNode body) {
        try {
            return answer(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A refusal for a script or API client: {@code {"status", "error", "message"}}, as every gateway JSON error. */
    static FullHttpResponse jsonError(HttpResponseStatus status, String code, String message) {
        return json(status, JSON.createObjectNode().put("status", status.code()).put("error", code).put("message", message));
    }

    static FullHttpResponse asset(String contentType, byte[] bytes) {
        FullHttpResponse response = answer(HttpResponseStatus.OK, contentType, bytes);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        return response;
    }

    /** A 303 to {@code location}, an absolute URL on the login host that the console built. */
    static FullHttpResponse redirect(String location) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SEE_OTHER);
        response.headers()
                .set(HttpHeaderNames.LOCATION, location)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("referrer-policy", "no-referrer")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    private static FullHttpResponse answer(HttpResponseStatus status, String contentType, byte[] bytes) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff")
                // not no-referrer: under it Chromium sends 'Origin: null' with the console's own form posts
                .set("referrer-policy", "same-origin")
                .set("cross-origin-resource-policy", "same-origin")
                .set("content-security-policy", CSP);
        return response;
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConsoleAnswers.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("console resource missing from the jar: " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
