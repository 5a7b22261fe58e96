package dev.portcullis.gateway.signin;

import dev.portcullis.gateway.pages.Pages;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The sign-in's own answers: redirects that set or clear cookies, and short pages that say what went wrong. */
final class SignInAnswers {
    private SignInAnswers() {}

    /** A 303 to {@code location} (always an absolute URL we built), setting {@code cookies}. */
    static FullHttpResponse redirect(String location, List<String> cookies) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SEE_OTHER);
        response.headers()
                .set(HttpHeaderNames.LOCATION, location)
                .set("referrer-policy", "no-referrer")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        cookies.forEach(cookie -> response.headers().add(HttpHeaderNames.SET_COOKIE, cookie));
        return response;
    }

    /**
     * A page for a person, in the style and under the Content-Security-Policy of every gateway page:
     * {@code code} is the reason code (also in {@code x-portcullis-reason}), {@code detail} says it in words.
     */
    static FullHttpResponse page(HttpResponseStatus status, String code, String title, String detail, List<String> cookies) {
        Pages.Page page = Pages.signIn(status.code(), title, detail, code);
        byte[] bytes = page.html().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff")
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, page.contentSecurityPolicy())
                .set("referrer-policy", "no-referrer")
                .set("x-portcullis-reason", code);
        cookies.forEach(cookie -> response.headers().add(HttpHeaderNames.SET_COOKIE, cookie));
        return response;
    }

    static FullHttpResponse refused(String code, String detail) {
        return page(HttpResponseStatus.BAD_REQUEST, code, "Sign-in failed", detail, List.of());
    }

    /** A {@code __Host-} cookie: host-only, Secure, Path=/, HttpOnly, SameSite=Lax. */
    static String cookie(String name, String value, long maxAgeSeconds) {
        return name + "=" + value + "; Path=/; Max-Age=" + maxAgeSeconds + "; Secure; HttpOnly; SameSite=Lax";
    }

    static String expiredCookie(String name) {
        return name + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax";
    }
}
