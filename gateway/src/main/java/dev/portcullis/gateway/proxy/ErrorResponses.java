package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.pages.Pages;
import dev.portcullis.policy.ReasonCodes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The gateway's own answers: a page for a browser navigating ({@link Pages}), JSON for everything
 * else. Each says what happened in words; none carries a stack trace or anything the client sent
 * back unescaped.
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
        return create(allocator, error, detail, List.of(), browser ? Pages.Context.UNKNOWN : null, false);
    }

    /**
     * @param reasons the policy's reason codes when access was denied, listed in the answer
     * @param page    what a page may tell the person, or null when the client is not a browser
     *                navigating (it then gets JSON)
     * @param signInExpired the browser's sign-in cookie no longer verifies
     */
    static FullHttpResponse create(ByteBufAllocator allocator, ProxyError error, String detail, List<String> reasons,
                                   Pages.Context page, boolean signInExpired) {
        Pages.Page html = page == null ? null : page(error, detail, reasons, page, signInExpired);
        String body = html == null ? json(error, detail, reasons) : html.html();
        ByteBuf content = allocator.buffer(body.length());
        content.writeCharSequence(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, error.status(), content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, html != null ? "text/html; charset=utf-8" : "application/json")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff");
        if (html != null) {
            response.headers()
                    .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, html.contentSecurityPolicy())
                    .set("referrer-policy", "no-referrer");
        }
        if (error == ProxyError.UNAUTHENTICATED) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"portcullis\"");
        }
        if (error.retryAfterSeconds() > 0) {
            response.headers().setInt(HttpHeaderNames.RETRY_AFTER, error.retryAfterSeconds());
        }
        return response;
    }

    /**
     * Whether the client is a browser navigating (it gets a page): {@code Sec-Fetch-Mode: navigate},
     * or, from browsers too old for Fetch Metadata, {@code Accept: text/html,...}.
     */
    static boolean wantsPage(HttpHeaders headers) {
        String mode = headers.get("sec-fetch-mode");
        if (mode != null) {
            return mode.equals("navigate");
        }
        String accept = headers.get(HttpHeaderNames.ACCEPT);
        return accept != null && accept.contains("text/html");
    }

    private static Pages.Page page(ProxyError error, String detail, List<String> reasons, Pages.Context context,
                                   boolean signInExpired) {
        return switch (error) {
            case UNAUTHENTICATED, QUERY_TOKEN_REUSED -> Pages.signInNeeded(context, signInExpired, detail,
                    context.signInHref());
            case FORBIDDEN -> reasons.contains(ReasonCodes.SHARE_EXPIRED)
                    ? Pages.accessRevoked(context, reasons, detail, context.switchUserHref())
                    : Pages.accessDenied(context, reasons, detail, context.switchUserHref());
            case WORKSPACE_NOT_RUNNING -> Pages.workspaceStopped(context);
            case PORT_NOT_SERVED -> Pages.portNotServed(context, detail);
            case PORT_NOT_LISTENING -> Pages.portNotServedYet(context, detail);
            default -> Pages.problem(error.status().code(), error.title(), detail);
        };
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
