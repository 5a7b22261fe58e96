package dev.portcullis.gateway.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;

/**
 * Rules on a decoded request head that Netty's decoder does not enforce, each a way two parsers
 * could frame or route one request differently (request smuggling, host confusion).
 */
final class RequestChecks {
    private RequestChecks() {}

    /** Why the request must be refused with 400, or null when it may be forwarded. */
    static String problemWith(HttpRequest request) {
        HttpHeaders headers = request.headers();
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return "more than one Host header";
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            return "CONNECT is not served: the gateway reaches workspace ports by name, not by tunnel";
        }
        String target = request.uri();
        boolean originForm = target.startsWith("/");
        boolean asteriskForm = target.equals("*") && HttpMethod.OPTIONS.equals(request.method());
        if (!originForm && !asteriskForm && absoluteFormAuthority(target) == null) {
            return "the request target is not a path starting with '/', an absolute URL or '*' for OPTIONS";
        }
        List<String> transferEncodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        List<String> contentLengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (!transferEncodings.isEmpty()) {
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                return "Transfer-Encoding in an HTTP/1.0 request";
            }
            if (!contentLengths.isEmpty()) {
                return "both Content-Length and Transfer-Encoding";
            }
            if (transferEncodings.size() != 1 || !transferEncodings.get(0).trim().equalsIgnoreCase("chunked")) {
                return "Transfer-Encoding other than exactly 'chunked'";
            }
        }
        if (contentLengths.size() > 1) {
            return "more than one Content-Length";
        }
        if (contentLengths.size() == 1 && !isPlainDigits(contentLengths.get(0))) {
            return "Content-Length is not a plain number";
        }
        String authority = absoluteFormAuthority(request.uri());
        if (authority != null && !hosts.isEmpty() && !authority.equalsIgnoreCase(hosts.get(0))) {
            return "the request target names another host than Host";
        }
        return null;
    }

    /** The target as the workspace receives it: origin-form, also when the client sent absolute-form. */
    static String originForm(String uri) {
        if (absoluteFormAuthority(uri) == null) {
            return uri;
        }
        int schemeEnd = uri.indexOf("//") + 2;
        int pathStart = firstOf(uri, schemeEnd, "/?");
        if (pathStart < 0) {
            return "/";
        }
        return uri.charAt(pathStart) == '?' ? "/" + uri.substring(pathStart) : uri.substring(pathStart);
    }

    /** The authority of an absolute-form target ({@code https://host:port/path}), or null for any other form. */
    private static String absoluteFormAuthority(String uri) {
        String lower = uri.length() > 8 ? uri.substring(0, 8).toLowerCase(Locale.ROOT) : uri.toLowerCase(Locale.ROOT);
        int schemeEnd;
        if (lower.startsWith("https://")) {
            schemeEnd = 8;
        } else if (lower.startsWith("http://")) {
            schemeEnd = 7;
        } else {
            return null;
        }
        int end = firstOf(uri, schemeEnd, "/?#");
        return uri.substring(schemeEnd, end < 0 ? uri.length() : end);
    }

    private static int firstOf(String text, int from, String characters) {
        for (int i = from; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isPlainDigits(String value) {
        if (value.isEmpty() || value.length() > 18) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
