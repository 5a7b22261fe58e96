package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.route.PortHost;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

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

    static HttpRequest toWorkspace(HttpRequest request, PortHost.WorkspacePort target, InetSocketAddress client,
                                   int listenerPort, boolean webSocketUpgrade) {
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
        if (chunked) {
            HttpUtil.setTransferEncodingChunked(forwarded, true);
        }
        if (webSocketUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE).set(HttpHeaderNames.UPGRADE, upgrade);
        }
        String host = listenerPort == 443 ? target.hostName() : target.hostName() + ":" + listenerPort;
        String clientIp = client.getAddress().getHostAddress();
        headers.set(HttpHeaderNames.HOST, host)
                .set(X_FORWARDED_FOR, clientIp)
                .set(X_FORWARDED_HOST, host)
                .set(X_FORWARDED_PROTO, "https")
                .set(X_FORWARDED_PORT, listenerPort)
                .set(FORWARDED, "for=" + forwardedNode(clientIp) + ";host=\"" + host + "\";proto=https");
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
