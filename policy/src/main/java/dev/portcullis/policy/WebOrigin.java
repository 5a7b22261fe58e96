package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * A web origin, {@code scheme://host[:port]}, as a browser sends it in {@code Origin}: what a port
 * share lists in {@code allowedOrigins} and what the gateway compares a cookie-carrying request's
 * {@code Origin} with. Parsing normalizes (lowercase scheme and host, default port dropped) so two
 * spellings of one origin compare equal; anything that is not exactly an origin is refused, since a
 * lenient reading here would let a path, a wildcard or {@code null} pass for a host.
 *
 * <p>Hand-written rather than {@link java.net.URI}: {@code URI} accepts user info, paths, IPv6 zone
 * ids and registry-based authorities, each of which would have to be ruled out again afterwards.
 */
public record WebOrigin(String scheme, String host, int port) {
    private static final int MAX_LENGTH = 300;
    private static final String EXPECTED = " (expected: https://host[:port] or http://host[:port], nothing after the port)";

    public WebOrigin {
        requireNonNull(scheme, "scheme");
        requireNonNull(host, "host");
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("scheme: '" + scheme + "' (expected: https or http)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
    }

    /**
     * The origin {@code text} names.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code text}
     */
    public static WebOrigin parse(String text) {
        requireNonNull(text, "text");
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("origin '" + shown + "' is longer than " + MAX_LENGTH + " characters" + EXPECTED);
        }
        if (text.equals("null")) {
            throw new IllegalArgumentException("origin 'null' is what browsers send for sandboxed frames and files,"
                    + " which any page can produce" + EXPECTED);
        }
        int separator = text.indexOf("://");
        if (separator < 0) {
            throw new IllegalArgumentException("origin '" + shown + "' has no scheme" + EXPECTED);
        }
        String scheme = text.substring(0, separator).toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("origin '" + shown + "' has scheme '" + text.substring(0, separator) + "'" + EXPECTED);
        }
        String authority = text.substring(separator + 3);
        int colon = authority.lastIndexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        int defaultPort = scheme.equals("https") ? 443 : 80;
        int port = defaultPort;
        if (colon >= 0) {
            String digits = authority.substring(colon + 1);
            if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("origin '" + shown + "' has port '" + digits + "'" + EXPECTED);
            }
            port = Integer.parseInt(digits);
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("origin '" + shown + "' has port " + port + " (expected: 1-65535)");
            }
        }
        String problem = hostProblem(host);
        if (problem != null) {
            throw new IllegalArgumentException("origin '" + shown + "': " + problem + EXPECTED);
        }
        return new WebOrigin(scheme, host.toLowerCase(Locale.ROOT), port);
    }

    /** The origin {@code text} names, or {@code null} when it names none (the gateway then refuses). */
    public static WebOrigin parseOrNull(String text) {
        try {
            return text == null ? null : parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The origin as browsers serialize it: the default port left out. */
    public String serialized() {
        boolean defaultPort = port == (scheme.equals("https") ? 443 : 80);
        return scheme + "://" + host + (defaultPort ? "" : ":" + port);
    }

    @Override
    public String toString() {
        return serialized();
    }

    private static String hostProblem(String host) {
        if (host.isEmpty()) {
            return "the host is empty";
        }
        if (host.length() > 253) {
            return "the host is longer than 253 characters";
        }
        int labelLength = 0;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return "the host has an empty label";
                }
                labelLength = 0;
            } else if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
                if (++labelLength > 63) {
                    return "a label of the host is longer than 63 characters";
                }
            } else {
                return "the host has '" + c + "' at index " + i + " (a wildcard, a path, user info and IPv6 literals"
                        + " are not origins a share can list)";
            }
        }
        return null;
    }
}
