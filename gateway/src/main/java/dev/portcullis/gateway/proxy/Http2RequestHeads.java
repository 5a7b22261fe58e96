package dev.portcullis.gateway.proxy;

import io.netty.handler.codec.http2.Http2Headers;
import java.util.Map;

/**
 * Checks of an HTTP/2 request head that Netty does not make, before {@link Http2Streams} reads it as a request:
 * <ul>
 *   <li>RFC 9113 §8.3.1: a request carries {@code :method}, {@code :scheme} and a non-empty
 *       {@code :path}. Netty's header validation checks each pseudo-header that is present (names,
 *       order, duplicates) but not that these are there; a stream lacking one is malformed and is
 *       reset with PROTOCOL_ERROR (§8.1.1). (CONNECT, which omits the last two, is not served.)
 *   <li>At most {@code limits.maxHeaderFields} header fields (pseudo-headers not counted), as over
 *       HTTP/1.1: more is answered 431. Netty bounds only their total size.
 * </ul>
 */
final class Http2RequestHeads {
    private Http2RequestHeads() {}

    /** RFC 9113 §8.3.1: what the request head lacks, or null when it has every pseudo-header a request needs. */
    static String missingPseudoHeader(Http2Headers headers) {
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
    static int regularFields(Http2Headers headers) {
        int fields = 0;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            if (!Http2Headers.PseudoHeaderName.hasPseudoHeaderFormat(field.getKey())) {
                fields++;
            }
        }
        return fields;
    }
}
