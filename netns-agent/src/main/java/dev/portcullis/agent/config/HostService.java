package dev.portcullis.agent.config;

/** A service on the host that workspaces may reach, e.g. "udp/53" for a local DNS resolver. */
public record HostService(String protocol, int port) {

    public HostService {
        if (!"tcp".equals(protocol) && !"udp".equals(protocol)) {
            throw new IllegalArgumentException("protocol: '" + protocol + "' (expected: tcp or udp)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
        }
    }

    public static HostService parse(String text) {
        String[] parts = text == null ? new String[0] : text.split("/", -1);
        if (parts.length != 2 || parts[1].isEmpty() || parts[1].length() > 5
                || !parts[1].chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("host service: '" + text + "' (expected: tcp/PORT or udp/PORT, e.g. udp/53)");
        }
        return new HostService(parts[0], Integer.parseInt(parts[1]));
    }

    @Override
    public String toString() {
        return protocol + "/" + port;
    }
}
