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
import io.netty.util.NetUtil;
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

    private ForwardedRequests() {}

    /** A WebSocket opening handshake: the only upgrade the gateway relays. */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    /**
     * The request as the workspace receives it: HTTP/1.1 in origin form, without hop-by-hop, codec
     * or gateway-set headers from the client, with {@code X-Forwarded-For/-Proto/-Host/-Port} set by
     * the gateway and, when {@code forwardedHeader}, RFC 7239 {@code Forwarded} too.
     */
    static HttpRequest toWorkspace(HttpRequest request, PortHost.WorkspacePort target, InetSocketAddress client,
                                   int listenerPort, boolean webSocketUpgrade, boolean forwardedHeader) {
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
        HttpRequest forwarded = new DefaultHttpRequest(HttpVersion.HTTP_1_1, request.method(),
                RequestChecks.originForm(request.uri()),
                request.headers().copy());
        HttpHeaders headers = forwarded.headers();
        removeHopByHop(headers);
        for (AsciiString name : GATEWAY_SET) {
            headers.remove(name);
        }
        for (AsciiString name : CODEC_INTERNAL) {
            headers.remove(name);
        }
        if (chunked) {
            HttpUtil.setTransferEncodingChunked(forwarded, true);
        }
        if (webSocketUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE).set(HttpHeaderNames.UPGRADE, upgrade);
        }
        String host = listenerPort == 443 ? target.hostName() : target.hostName() + ":" + listenerPort;
        // RFC 5952 text (::1, 2001:db8::7), not Java's 0:0:0:0:0:0:0:1. The gateway is the first
        // proxy: the client's own X-Forwarded-For was dropped above, so the list starts with the client.
        String clientIp = NetUtil.toAddressString(client.getAddress());
        headers.set(HttpHeaderNames.HOST, host)
                .set(X_FORWARDED_FOR, clientIp)
                .set(X_FORWARDED_HOST, host)
                .set(X_FORWARDED_PROTO, "https")
                .set(X_FORWARDED_PORT, listenerPort);
        if (forwardedHeader) {
            headers.set(FORWARDED, "for=" + forwardedNode(clientIp) + ";host=\"" + host + "\";proto=https");
        }
        return forwarded;
    }

    /** Strips the connection-scoped headers of a message, including every header that Connection names. */
    static void removeHopByHop(HttpHeaders headers) {
        List<String> named = new ArrayList<>();
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.trim();
                if (!name.isEmpty()) {
                    named.add(name);
                }
            }
        }
        for (String name : named) {
            headers.remove(name);
        }
        for (AsciiString name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    private static String forwardedNode(String ip) {
        // RFC 7239: IPv6 nodes are quoted and bracketed.
        return ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip;
    }
}
