package dev.portcullis.gateway.proxy;

import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import java.util.Locale;

/**
 * How the access log records a request that ended before its response did: the status it is logged
 * with (the client got none, or only part of one) and the reason code beside it. One place, so an
 * HTTP/1.1 connection and an HTTP/2 stream that end the same way are logged the same way.
 */
record CutShort(int status, String reason) {
    /**
     * The client's side failed: 400 {@code stream-error-<code>} when the client broke the HTTP/2
     * protocol, 499 {@code client-error} for anything else.
     */
    static CutShort clientFailed(Throwable cause) {
        Http2Exception protocolError = Http2CodecUtil.getEmbeddedHttp2Exception(cause);
        return protocolError != null ? new CutShort(400, "stream-error-" + errorCode(protocolError.error()))
                : new CutShort(499, "client-error");
    }

    /** The client reset its HTTP/2 stream: 499 {@code client-reset-cancel}, say, or the code in hex if RFC 9113 defines none. */
    static CutShort clientReset(long errorCode) {
        Http2Error error = Http2Error.valueOf(errorCode); // null for a code RFC 9113 does not define
        return new CutShort(499, "client-reset-" + (error == null ? "0x" + Long.toHexString(errorCode) : errorCode(error)));
    }

    /** The connection idled out: 408 while the request's body was awaited, 504 while the workspace's answer was. */
    static CutShort idleTimedOut(boolean requestFullyReceived) {
        return new CutShort(requestFullyReceived ? 504 : 408, "idle-timeout");
    }

    /**
     * The grant the request was served under was revoked for {@code reason} ({@code access-withdrawn},
     * {@code token-expired}, ...): {@code revoked-<reason>}, with the status the refusal of the next
     * request would have.
     */
    static CutShort revoked(String reason) {
        int status = switch (reason) {
            case "token-expired", "session-ended" -> 401; // the caller must sign in again
            case "workspace-stopped", "workspace-deleted", "workspace-moved" -> 503;
            default -> 403; // access-withdrawn
        };
        return new CutShort(status, "revoked-" + reason);
    }

    /** An HTTP/2 error code as the access log writes it: {@code PROTOCOL_ERROR} → {@code protocol-error}. */
    private static String errorCode(Http2Error error) {
        return error.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
