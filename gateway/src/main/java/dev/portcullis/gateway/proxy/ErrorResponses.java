package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The gateway's own answers: a short page for a browser, JSON for everything else. Each says what
 * happened in words; none carries a stack trace or anything the client sent back unescaped.
 */
final class ErrorResponses {
    /** Expires the gateway's cookie in a browser, when the token in it no longer verifies. */
    static final String EXPIRED_GATEWAY_COOKIE = AccessControl.COOKIE + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax";

    private ErrorResponses() {}

    /** A 303 to {@code location} (a URL-token exchange, a sign-in), setting the gateway's cookie when {@code cookie} is not null. */
    static FullHttpResponse redirectSettingCookie(String location, String cookie) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SEE_OTHER);
        if (cookie != null) {
            response.headers().set(HttpHeaderNames.SET_COOKIE, cookie);
        }
        response.headers()
                .set(HttpHeaderNames.LOCATION, location)
                .set("referrer-policy", "no-referrer")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    /**
     * The answer to a CORS preflight for a port the anonymous caller may not reach: 204 without any
     * {@code Access-Control-Allow-*}, so the browser refuses the cross-origin call, rather than a 401
     * that browsers report as an opaque network error (see docs/security.md).
     */
    static FullHttpResponse preflightRefused() {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        response.headers()
                .set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    static FullHttpResponse create(ByteBufAllocator allocator, ProxyError error, String detail, boolean browser) {
        return create(allocator, error, detail, List.of(), browser);
    }

    /** @param reasons the policy's reason codes when access was denied, listed in the answer */
    static FullHttpResponse create(ByteBufAllocator allocator, ProxyError error, String detail, List<String> reasons,
                                   boolean browser) {
        String body = browser ? html(error, detail) : json(error, detail, reasons);
        ByteBuf content = allocator.buffer(body.length());
        content.writeCharSequence(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, error.status(), content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, browser ? "text/html; charset=utf-8" : "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff");
        if (error == ProxyError.UNAUTHENTICATED) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"portcullis\"");
        }
        if (error.retryAfterSeconds() > 0) {
            response.headers().setInt(HttpHeaderNames.RETRY_AFTER, error.retryAfterSeconds());
        }
        return response;
    }

    /** Whether the client asked for a page: browsers navigating send {@code Accept: text/html,...}. */
    static boolean wantsHtml(String accept) {
        return accept != null && accept.contains("text/html");
    }

    private static String html(ProxyError error, String detail) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + error.status().code() + " "
                + escapeHtml(error.title()) + "</title></head><body><h1>" + escapeHtml(error.title())
                + "</h1><p>" + escapeHtml(detail) + "</p><hr><p>Portcullis gateway</p></body></html>\n";
    }

    private static String json(ProxyError error, String detail, List<String> reasons) {
        StringBuilder json = new StringBuilder(128).append("{\"status\":").append(error.status().code())
                .append(",\"error\":\"").append(error.code()).append("\",\"message\":\"").append(escapeJson(detail))
                .append('"');
        if (!reasons.isEmpty()) {
            json.append(",\"reasons\":[");
            for (int i = 0; i < reasons.size(); i++) {
                json.append(i == 0 ? "\"" : ",\"").append(escapeJson(reasons.get(i))).append('"');
            }
            json.append(']');
        }
        return json.append("}\n").toString();
    }

    private static String escapeHtml(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String escapeJson(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
