package dev.portcullis.gateway.route;

import dev.portcullis.policy.WorkspaceId;
import java.util.List;
import java.util.Locale;

/**
 * Reads a Host header of the form {@code <port>-<workspaceId>.<baseDomain>[:listenerPort]}, the only
 * name under which the gateway serves a workspace port. No DNS is involved: the name is the address.
 */
public sealed interface PortHost {

    /**
     * A workspace port: the request goes to {@code port} on the workspace's address.
     *
     * @param hostName the canonical host name, as the workspace sees it in {@code Host}: the parsed Host
     *     itself (lower case, without a listener port or trailing dot), kept so that a request does not
     *     build it again
     */
    record WorkspacePort(int port, String workspaceId, String baseDomain, String hostName) implements PortHost {
        public WorkspacePort(int port, String workspaceId, String baseDomain) {
            this(port, workspaceId, baseDomain, port + "-" + workspaceId + "." + baseDomain);
        }
    }

    /** The Host header is not a valid host, or not the name of a workspace port (a 400). */
    record Malformed(String reason) implements PortHost {}

    /** A valid host under none of the gateway's base domains (a 421: not served here). */
    record ForeignDomain(String host) implements PortHost {}

    int MAX_HOST_LENGTH = 253;

    static PortHost parse(String hostHeader, List<String> baseDomains) {
        if (hostHeader == null || hostHeader.isEmpty()) {
            return new Malformed("the request has no Host");
        }
        String host = stripListenerPort(hostHeader);
        if (host == null) {
            return new Malformed("Host '" + printable(hostHeader) + "' has an invalid port");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (host.isEmpty() || host.length() > MAX_HOST_LENGTH || !isHostName(host)) {
            return new Malformed("Host '" + printable(hostHeader) + "' is not a valid host name");
        }
        String matched = null;
        for (String baseDomain : baseDomains) {
            if (host.equals(baseDomain)) {
                return notAPortHost(hostHeader, baseDomain);
            }
            int labelEnd = host.length() - baseDomain.length() - 1;
            boolean under = labelEnd > 0 && host.endsWith(baseDomain) && host.charAt(labelEnd) == '.';
            // Base domains may nest (ws.example.com, eu.ws.example.com): the longest one that matches wins.
            if (under && (matched == null || baseDomain.length() > matched.length())) {
                matched = baseDomain;
            }
        }
        if (matched == null) {
            return new ForeignDomain(host);
        }
        return parseFirstLabel(host, host.length() - matched.length() - 1, matched, hostHeader);
    }

    /** The first label, {@code host} up to {@code labelEnd} (the dot before the base domain), read in place. */
    private static PortHost parseFirstLabel(String host, int labelEnd, String baseDomain, String hostHeader) {
        int dash = host.indexOf('-');
        int dot = host.indexOf('.');
        if (dash < 1 || dash > 5 || dash >= labelEnd || dot < labelEnd) {
            return notAPortHost(hostHeader, baseDomain);
        }
        int port = 0;
        for (int i = 0; i < dash; i++) {
            char c = host.charAt(i);
            if (c < '0' || c > '9') {
                return notAPortHost(hostHeader, baseDomain);
            }
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535 || host.charAt(0) == '0') {
            return new Malformed("port " + host.substring(0, dash) + " in Host '" + printable(hostHeader)
                    + "' is not a port (expected: 1-65535)");
        }
        String workspaceId = host.substring(dash + 1, labelEnd);
        String problem = WorkspaceId.problemWith(workspaceId);
        if (problem != null) {
            return new Malformed("Host '" + printable(hostHeader) + "': " + problem);
        }
        // Without a leading zero in the port, the host as parsed is the canonical name.
        return new WorkspacePort(port, workspaceId, baseDomain, host);
    }

    private static Malformed notAPortHost(String hostHeader, String baseDomain) {
        return new Malformed("Host '" + printable(hostHeader) + "' does not name a workspace port (expected: <port>-<workspaceId>."
                + baseDomain + ")");
    }

    /** The host without a trailing {@code :port}; null when the port part is not 1-5 digits. */
    private static String stripListenerPort(String hostHeader) {
        int colon = hostHeader.lastIndexOf(':');
        if (colon < 0) {
            return hostHeader;
        }
        int digits = hostHeader.length() - colon - 1;
        if (digits < 1 || digits > 5) {
            return null;
        }
        for (int i = colon + 1; i < hostHeader.length(); i++) {
            char c = hostHeader.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        return hostHeader.substring(0, colon);
    }

    private static boolean isHostName(String host) {
        int labelLength = 0;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return false;
                }
                labelLength = 0;
            } else if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
                if (++labelLength > 63) {
                    return false;
                }
            } else {
                return false;
            }
        }
        return labelLength > 0;
    }

    /** Echoes client input in an error message without control characters or unbounded length. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 80));
        for (int i = 0; i < value.length() && out.length() < 80; i++) {
            char c = value.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
