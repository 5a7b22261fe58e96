package dev.portcullis.gateway.signin;

import dev.portcullis.gateway.route.PortHost;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Where a browser goes back to after signing in: always a workspace port host this gateway serves,
 * and a path on it. Checked when the link is made and again when it is used, so no value that
 * reaches a {@code Location} header can lead off our hosts (no open redirect): {@code //evil/x},
 * {@code /\evil/x}, absolute URLs elsewhere, and their percent-encoded forms are all refused.
 *
 * @param host the workspace port host, canonical (lowercase, no port)
 * @param path the path and query on it, starting with exactly one '/'
 */
public record ReturnTo(String host, String path) {

    /** The return-to {@code url}, when it is an https URL of a port host under {@code baseDomains}. */
    public static Optional<ReturnTo> parse(String url, List<String> baseDomains) {
        if (url == null || url.length() > 4096 || hasControlOrSpace(url)) {
            return Optional.empty();
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        if (!"https".equals(uri.getScheme()) || uri.getRawUserInfo() != null || uri.getRawFragment() != null
            || uri.getHost() == null) {
            return Optional.empty();
        }
        if (!(PortHost.parse(uri.getHost(), baseDomains) instanceof PortHost.WorkspacePort port)) {
            return Optional.empty();
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String query = uri.getRawQuery();
        String pathAndQuery = query == null ? path : path + "?" + query;
        return isSafePath(pathAndQuery) ? Optional.of(new ReturnTo(port.hostName(), pathAndQuery)) : Optional.empty();
    }

    /**
     * Whether {@code pathAndQuery} is a path on the same host however a browser reads it: one leading
     * '/', not followed by '/' or '\' (which browsers read as another host), also after decoding.
     */
    public static boolean isSafePath(String pathAndQuery) {
        if (pathAndQuery == null || pathAndQuery.isEmpty() || pathAndQuery.charAt(0) != '/'
            || hasControlOrSpace(pathAndQuery)) {
            return false;
        }
        String decoded = pathAndQuery;
        for (int round = 0; round < 3; round++) { // %252F%252F decodes twice: look a few layers deep
            if (decoded.length() > 1 && (decoded.charAt(1) == '/' || decoded.charAt(1) == '\\')) {
                return false;
            }
            if (decoded.indexOf('%') < 0) {
                break;
            }
            try {
                decoded = URLDecoder.decode(decoded.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (hasControlOrSpace(decoded.replace(' ', 'x'))) {
                return false;
            }
        }
        return true;
    }

    /** The absolute URL a browser is sent to: our host, never a relative or scheme-relative one. */
    public String url(SignInSettings settings, String hostHeader) {
        return settings.origin(host, hostHeader) + path;
    }

    private static boolean hasControlOrSpace(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
