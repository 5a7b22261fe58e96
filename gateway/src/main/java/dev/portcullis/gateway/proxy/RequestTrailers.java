package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.IdentityAssertions;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * Request trailers (chunked HTTP/1.1, trailing HEADERS over HTTP/2) on their way to the workspace.
 * A trailer must never carry what the gateway strips or sets in the head, or a client could hand a
 * workspace a credential meant for the gateway, or a forged identity, after the head was checked
 * (issue 17, item 5). RFC 9110 §6.5.1 also rules out framing, routing and authentication fields in
 * trailers, so these are removed whatever their value; other trailers (gRPC status, checksums) pass.
 */
final class RequestTrailers {
    private static final List<AsciiString> NEVER_FORWARDED = List.of(
            // credentials: the gateway's (bearer, cookie) and any other scheme, which has no business after the body
            HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.COOKIE,
            // set by the gateway alone
            AsciiString.cached(IdentityAssertions.HEADER), AsciiString.cached("forwarded"),
            AsciiString.cached("x-forwarded-for"), AsciiString.cached("x-forwarded-host"),
            AsciiString.cached("x-forwarded-proto"), AsciiString.cached("x-forwarded-port"),
            AsciiString.cached("x-real-ip"),
            // framing and routing
            HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.CONNECTION, HttpHeaderNames.TE, HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE,
            AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"));

    private RequestTrailers() {}

    /** Removes from {@code trailers} every field a workspace must not receive there. */
    static void stripForWorkspace(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return;
        }
        for (AsciiString name : NEVER_FORWARDED) {
            trailers.remove(name);
        }
    }
}
