package dev.portcullis.gateway.isolation;

import dev.portcullis.gateway.access.AccessControl;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the gateway changes in a workspace's {@code Set-Cookie} headers before the browser sees
 * them, so that no workspace sets cookies for another through the gateway:
 * <ul>
 *   <li>every {@code Domain} attribute is removed, making the cookie host-only: a
 *       {@code Domain=ws.example.com} cookie would otherwise reach every workspace of the user;</li>
 *   <li>a cookie named like the gateway's own ({@code __Host-portcullis}, in any letter case, or a
 *       nameless cookie whose value starts with that name) is dropped whole, so a workspace can
 *       never set or overwrite the gateway's sign-in.</li>
 * </ul>
 * Everything else in each header stays exactly as the workspace sent it.
 *
 * <p>Hand-written rather than Netty's {@code ServerCookieDecoder}/{@code ClientCookieDecoder}: those
 * rebuild a cookie from what they understood, dropping attributes they do not know (Partitioned,
 * Priority) and re-encoding values; here only the {@code Domain} attributes go.
 */
public final class WorkspaceSetCookies {
    private static final String GATEWAY_COOKIE = AccessControl.COOKIE.toLowerCase(Locale.ROOT);

    private WorkspaceSetCookies() {}

    /** Rewrites the {@code Set-Cookie} headers of a workspace's response in place. */
    public static void sanitize(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.SET_COOKIE)) {
            return;
        }
        List<String> sent = headers.getAll(HttpHeaderNames.SET_COOKIE);
        List<String> kept = new ArrayList<>(sent.size());
        boolean changed = false;
        for (String header : sent) {
            String rewritten = rewrite(header);
            changed |= !header.equals(rewritten);
            if (rewritten != null) {
                kept.add(rewritten);
            }
        }
        if (changed) {
            headers.remove(HttpHeaderNames.SET_COOKIE);
            kept.forEach(value -> headers.add(HttpHeaderNames.SET_COOKIE, value));
        }
    }

    /** One header without its Domain attributes, or null when the cookie must not reach the browser. */
    static String rewrite(String header) {
        String[] parts = header.split(";", -1);
        if (isGatewayCookie(parts[0])) {
            return null;
        }
        StringBuilder out = new StringBuilder(header.length()).append(parts[0]);
        boolean removed = false;
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i];
            int equals = attribute.indexOf('=');
            String name = (equals < 0 ? attribute : attribute.substring(0, equals)).trim();
            if (name.equalsIgnoreCase("domain")) {
                removed = true;
            } else {
                out.append(';').append(attribute);
            }
        }
        return removed ? out.toString() : header;
    }

    private static boolean isGatewayCookie(String nameValue) {
        int equals = nameValue.indexOf('=');
        String name = (equals < 0 ? "" : nameValue.substring(0, equals)).trim().toLowerCase(Locale.ROOT);
        if (name.equals(GATEWAY_COOKIE)) {
            return true;
        }
        // A nameless cookie ("=__Host-portcullis=x" or just "__Host-portcullis=x" without a name
        // part) is sent back by some browsers as "__Host-portcullis=x": cookie tossing by another name.
        String value = (equals < 0 ? nameValue : nameValue.substring(equals + 1)).trim().toLowerCase(Locale.ROOT);
        return name.isEmpty() && value.startsWith(GATEWAY_COOKIE);
    }
}
