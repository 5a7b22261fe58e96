package dev.portcullis.cli.policy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

import dev.portcullis.policy.PortRange;
import dev.portcullis.policy.WorkspaceId;

/**
 * The parts of a port URL, {@code https://<port>-<workspaceId>.<baseDomain>/<path>}, that a
 * decision depends on.
 */
record PortUrl(int port, WorkspaceId workspace, String path) {

    /**
     * @throws IllegalArgumentException naming the bad URL and the expected shape
     */
    static PortUrl parse(String url) {
        final String expected = " (expected: https://<port>-<workspace>.<base domain>/<path>, "
                                + "e.g. https://3000-ws42.ws.example.com/app)";
        final URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url: " + url + " is not a URL: " + e.getReason() + expected);
        }
        // Host names are case-insensitive and browsers send them lowercased; do the same.
        final String host = uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
        if (host == null || host.indexOf('.') < 0) {
            throw new IllegalArgumentException("url: " + url + " has no host with a base domain" + expected);
        }
        final String label = host.substring(0, host.indexOf('.'));
        final int dash = label.indexOf('-');
        final int port;
        try {
            port = dash < 0 ? -1 : Integer.parseInt(label.substring(0, dash));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("url: " + url + " does not start its host with a port" + expected);
        }
        if (port < PortRange.MIN_PORT || port > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("url: " + url + " names port " + port + expected);
        }
        final WorkspaceId workspace = WorkspaceId.of(label.substring(dash + 1));
        final String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return new PortUrl(port, workspace, path);
    }
}
