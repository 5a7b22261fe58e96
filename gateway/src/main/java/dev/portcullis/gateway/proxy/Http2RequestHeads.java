package dev.portcullis.gateway.proxy;

import io.netty.handler.codec.http2.Http2Headers;
import java.util.Map;

/**
 * What an HTTP/2 request head must have, checked the same way by both HTTP/2 paths: the child
 * channel per stream ({@code server/Http2RequestHeadCheck}) and the streams at the connection
 * ({@link Http2Streams}).
 */
public final class Http2RequestHeads {
    private Http2RequestHeads() {}

    /** RFC 9113 §8.3.1: what the request head lacks, or null when it has every pseudo-header a request needs. */
    public static String missingPseudoHeader(Http2Headers headers) {
        if (headers.method() == null) {
            return "no :method";
        }
        if (headers.scheme() == null) {
            return "no :scheme";
        }
        CharSequence path = headers.path();
        if (path == null || path.isEmpty()) {
            return "no :path or an empty one";
        }
        return null;
    }

    /** The header fields that are not pseudo-headers, the ones {@code limits.maxHeaderFields} counts. */
    public static int regularFields(Http2Headers headers) {
        int fields = 0;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            if (!Http2Headers.PseudoHeaderName.hasPseudoHeaderFormat(field.getKey())) {
                fields++;
            }
        }
        return fields;
    }
}
