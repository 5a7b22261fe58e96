package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.auth.BearerTokens;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's credentials in one request, in the order they count: an {@code Authorization:
 * Bearer} header, the gateway's {@code __Host-portcullis} cookie, a one-time {@code ?access_token=}.
 * Taking them removes them from the head that goes to the workspace: a workspace never sees a
 * credential meant for the gateway. Other cookies and other {@code Authorization} schemes pass.
 *
 * @param bearer      the bearer token, or null
 * @param cookie      the gateway cookie's token, or null
 * @param queryToken  the {@code access_token} query parameter, or null
 * @param uriWithoutQueryToken the request target with {@code access_token} removed
 */
record GatewayCredentials(String bearer, String cookie, String queryToken, String uriWithoutQueryToken) {
    static final String QUERY_PARAMETER = "access_token";

    /** Reads the credentials of {@code request} and strips them from {@code forwarded}, its copy for the workspace. */
    static GatewayCredentials take(HttpRequest request, HttpRequest forwarded) {
        String bearer = BearerTokens.from(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (bearer != null) {
            forwarded.headers().remove(HttpHeaderNames.AUTHORIZATION);
        }
        String cookie = takeCookie(forwarded.headers());
        String queryToken = null;
        String uri = forwarded.uri();
        if (uri.contains(QUERY_PARAMETER)) {
            QueryStringDecoder query = new QueryStringDecoder(uri);
            List<String> values = query.parameters().get(QUERY_PARAMETER);
            if (values != null && !values.isEmpty()) {
                queryToken = values.get(0);
                uri = withoutParameter(uri, QUERY_PARAMETER);
                forwarded.setUri(uri);
            }
        }
        return new GatewayCredentials(bearer, cookie, queryToken, uri);
    }

    /**
     * Strips the credentials of {@code request} from {@code forwarded} as {@link #take} does, without
     * reading them (open access): no copy of the token is made.
     */
    static void strip(HttpRequest request, HttpRequest forwarded) {
        if (BearerTokens.tokenStart(request.headers().get(HttpHeaderNames.AUTHORIZATION)) >= 0) {
            forwarded.headers().remove(HttpHeaderNames.AUTHORIZATION);
        }
        if (mayCarryMore(forwarded)) {
            take(request, forwarded);
        }
    }

    /**
     * Whether {@code forwarded} may carry a credential other than a bearer header: a {@code Cookie}
     * header (the gateway's cookie may be among its pairs) or {@code access_token} in the target.
     */
    static boolean mayCarryMore(HttpRequest forwarded) {
        return forwarded.headers().contains(HttpHeaderNames.COOKIE) || forwarded.uri().contains(QUERY_PARAMETER);
    }

    /**
     * Removes every {@code __Host-portcullis} pair from the {@code Cookie} headers (HTTP/2 may split
     * cookies over several) and returns the first one's value. The other pairs are kept as sent.
     */
    private static String takeCookie(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.COOKIE)) {
            return null; // most requests: no list made for nothing
        }
        List<String> all = headers.getAll(HttpHeaderNames.COOKIE);
        if (all.isEmpty()) {
            return null;
        }
        String found = null;
        boolean removed = false;
        List<String> kept = new ArrayList<>(all.size());
        for (String header : all) {
            StringBuilder rest = new StringBuilder(header.length());
            for (String pair : header.split(";")) {
                String trimmed = pair.trim();
                int equals = trimmed.indexOf('=');
                if (equals > 0 && trimmed.substring(0, equals).trim().equals(AccessControl.COOKIE)) {
                    if (found == null) {
                        found = unquote(trimmed.substring(equals + 1).trim());
                    }
                    removed = true;
                } else if (!trimmed.isEmpty()) {
                    rest.append(rest.isEmpty() ? "" : "; ").append(trimmed);
                }
            }
            if (!rest.isEmpty()) {
                kept.add(rest.toString());
            }
        }
        if (removed) {
            headers.remove(HttpHeaderNames.COOKIE);
            kept.forEach(value -> headers.add(HttpHeaderNames.COOKIE, value));
        }
        return found == null || found.isEmpty() ? null : found;
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
               ? value.substring(1, value.length() - 1) : value;
    }

    /** {@code uri} without any {@code name=...} pair of its query; the other pairs keep their order and encoding. */
    static String withoutParameter(String uri, String name) {
        int question = uri.indexOf('?');
        if (question < 0) {
            return uri;
        }
        int hash = uri.indexOf('#', question);
        String query = hash < 0 ? uri.substring(question + 1) : uri.substring(question + 1, hash);
        StringBuilder kept = new StringBuilder(query.length());
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            if (!key.equals(name) && !pair.isEmpty()) {
                kept.append(kept.isEmpty() ? "" : "&").append(pair);
            }
        }
        return uri.substring(0, question) + (kept.isEmpty() ? "" : "?" + kept);
    }
}
