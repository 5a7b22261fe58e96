package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.route.PortHost;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Turns a client's request into the one the workspace receives, and cleans responses on the way back. */
final class ForwardedRequests {
    // Hop-by-hop: they describe one connection, never the request (RFC 9110 §7.6.1).
    private static final List<AsciiString> HOP_BY_HOP = List.of(
            HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"),
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE);

    // Set by the gateway alone: whatever a client sends under these names is dropped, never trusted.
    private static final List<AsciiString> GATEWAY_SET = List.of(
            AsciiString.cached("forwarded"), AsciiString.cached("x-forwarded-for"), AsciiString.cached("x-forwarded-host"),
            AsciiString.cached("x-forwarded-proto"), AsciiString.cached("x-forwarded-port"), AsciiString.cached("x-real-ip"),
            AsciiString.cached("x-portcullis-identity"));

    // Netty's HTTP/2-to-HTTP/1 translation adds these (x-http2-scheme, x-http2-stream-id, ...) to
    // describe the stream; they are the gateway's own bookkeeping, and a client may send them too.
    private static final List<AsciiString> CODEC_INTERNAL = Stream.of(HttpConversionUtil.ExtensionHeaderNames.values())
            .map(HttpConversionUtil.ExtensionHeaderNames::text).toList();

    private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_PORT = AsciiString.cached("x-forwarded-port");
    private static final AsciiString HTTPS = AsciiString.cached("https");

    private ForwardedRequests() {}

    /** A WebSocket opening handshake: the only upgrade the gateway relays. */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    /**
     * The head the workspace will receive, HTTP/1.1 in origin form, sharing the client's headers
     * object, which is edited in place rather than copied (the decoder or the HTTP/2 stream made it
     * for this request alone). Here, before the access stage, only what a client must never set is
     * dropped (the headers the gateway sets, the codec's {@code x-http2-*}); the access stage then
     * takes the gateway's credentials off it, and {@link #readyForWorkspace} finishes it once the
     * request is allowed — so the access stage still reads the client's own {@code Host},
     * {@code Connection}, {@code Upgrade} and whatever {@code Connection} names.
     */
    static HttpRequest toWorkspace(HttpRequest request) {
        HttpHeaders headers = request.headers();
        for (AsciiString name : GATEWAY_SET) {
            headers.remove(name);
        }
        for (AsciiString name : CODEC_INTERNAL) {
            headers.remove(name);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(), RequestChecks.originForm(request.uri()),
                headers);
    }

    /**
     * Finishes the allowed request's head for the workspace: without hop-by-hop headers or those
     * that {@code Connection} names (never one the gateway set itself, such as the identity
     * assertion), with {@code X-Forwarded-For/-Proto/-Host/-Port} set by the gateway and, when
     * {@code forwardedHeader}, RFC 7239 {@code Forwarded} too.
     */
    static void readyForWorkspace(HttpRequest forwarded, PortHost.WorkspacePort target, InetSocketAddress client,
                                  ConnectionForwarding connection, boolean webSocketUpgrade, boolean forwardedHeader) {
        HttpHeaders headers = forwarded.headers();
        boolean chunked = HttpUtil.isTransferEncodingChunked(forwarded);
        String upgrade = webSocketUpgrade ? headers.get(HttpHeaderNames.UPGRADE) : null;
        removeHopByHop(headers, GATEWAY_SET);
        if (chunked) {
            HttpUtil.setTransferEncodingChunked(forwarded, true);
        }
        if (webSocketUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE).set(HttpHeaderNames.UPGRADE, upgrade);
        }
        String host = connection.host(target.hostName());
        // The gateway is the first proxy: the client's own X-Forwarded-For was dropped, so the list starts with the client.
        String clientIp = connection.clientIp(client);
        headers.set(HttpHeaderNames.HOST, host)
                .set(X_FORWARDED_FOR, clientIp)
                .set(X_FORWARDED_HOST, host)
                .set(X_FORWARDED_PROTO, HTTPS)
                .set(X_FORWARDED_PORT, connection.listenerPortText());
        if (forwardedHeader) {
            headers.set(FORWARDED, connection.forwarded(clientIp, host));
        }
    }

    /** Strips the connection-scoped headers of a message, including every header that Connection names. */
    static void removeHopByHop(HttpHeaders headers) {
        removeHopByHop(headers, List.of());
    }

    /** As {@link #removeHopByHop(HttpHeaders)}, but a name in {@code kept} stays even when Connection names it. */
    private static void removeHopByHop(HttpHeaders headers, List<AsciiString> kept) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            List<String> named = new ArrayList<>();
            for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
                for (String token : value.split(",")) {
                    String name = token.trim();
                    if (!name.isEmpty() && !isOneOf(name, kept)) {
                        named.add(name);
                    }
                }
            }
            for (String name : named) {
                headers.remove(name);
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    private static boolean isOneOf(String name, List<AsciiString> names) {
        for (AsciiString candidate : names) {
            if (candidate.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
