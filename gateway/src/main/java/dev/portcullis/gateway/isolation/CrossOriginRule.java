package dev.portcullis.gateway.isolation;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.WebOrigin;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * The rule that keeps one workspace's pages from acting, with the visitor's cookie, on another
 * workspace: all port hosts share one site ({@code *.ws.example.com}), so {@code SameSite=Lax} lets
 * a page on {@code 3000-ws43} send a signed-in browser's cookie for {@code 3000-ws42} along with a
 * form POST, a {@code fetch} with credentials or a WebSocket upgrade. For a request the gateway
 * authenticated by its cookie, an unsafe method (anything but GET, HEAD, OPTIONS) or an upgrade
 * must therefore come from the port host's own origin (scheme, host and port exactly) or from an
 * origin the port's share lists. Bearer-authenticated requests are not affected: a page cannot make
 * a browser attach someone's bearer token. See docs/security.md.
 */
public final class CrossOriginRule {
    /** The reason code of a refusal, in the audit log and the answer's {@code reasons}. */
    public static final String REASON = "cross-origin";

    private static final String SAME_ORIGIN = "same-origin";

    private CrossOriginRule() {}

    /** Whether {@code request} can change something or open a tunnel, so that where it came from matters. */
    public static boolean needsSameOrigin(HttpRequest request) {
        HttpMethod method = request.method();
        boolean safe = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD) || method.equals(HttpMethod.OPTIONS);
        // Any Upgrade counts, not only "websocket": an upgraded connection is a tunnel whatever its protocol.
        return !safe || request.headers().contains(HttpHeaderNames.UPGRADE);
    }

    /**
     * Why {@code request}, authenticated by the gateway's cookie, must be refused, in words for the
     * person; {@code null} when it came from an origin allowed to send it.
     *
     * @param portHost the request's validated Host ({@code 3000-ws42.ws.example.com:8443}), whose
     *                 {@code https} origin is the port's own
     * @param share    the port's share, whose {@code allowedOrigins} are allowed too; null when unshared
     */
    public static String refusal(HttpRequest request, String portHost, PortShare share) {
        WebOrigin own = WebOrigin.parse("https://" + portHost);
        HttpHeaders headers = request.headers();
        List<String> origins = headers.getAll(HttpHeaderNames.ORIGIN);
        String what = request.headers().contains(HttpHeaderNames.UPGRADE) ? "A WebSocket (upgrade) request"
                : "A " + printable(request.method().name()) + " request";
        String rule = " A signed-in browser may send it only from this port's own pages (" + own.serialized()
                + ") or from an origin the port's owner allowed ('portcullis share ... --allow-origin').";
        if (origins.size() > 1) {
            return what + " carried " + origins.size() + " Origin headers." + rule;
        }
        if (origins.isEmpty()) {
            // Browsers send Origin with every POST, PUT, DELETE and WebSocket; Sec-Fetch-Site is the
            // fallback for the rare client that sends only that. Anything else cannot show where it came from.
            List<String> fetchSite = headers.getAll("sec-fetch-site");
            if (fetchSite.size() == 1 && fetchSite.get(0).trim().equals(SAME_ORIGIN)) {
                return null;
            }
            return what + " came without an Origin header, so where it came from is unknown." + rule;
        }
        String sent = origins.get(0);
        WebOrigin origin = WebOrigin.parseOrNull(sent.trim());
        if (origin == null) {
            return what + " came from origin '" + printable(sent) + "', which is not a web page's origin"
                    + " (browsers send 'null' from sandboxed frames and files)." + rule;
        }
        if (origin.equals(own) || share != null && share.allowsOrigin(origin)) {
            return null;
        }
        return what + " came from a page of " + origin.serialized() + "." + rule;
    }

    /** Client input echoed in a message: printable ASCII only, at most 80 characters. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 80));
        for (int i = 0; i < value.length() && out.length() < 80; i++) {
            char c = value.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
