package dev.portcullis.store.record;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.WorkspaceId;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Where a workspace is and whose it is: what the gateway needs to route and authorize a request.
 * Written by the agent of the host the workspace runs on, under that host's lease.
 *
 * @param address an IP literal: the gateway never asks DNS where a workspace is
 * @param org the workspace's organization, or {@code null} when it belongs to none
 * @param ports the ports the workspace declares it serves (may be empty: any port is tried)
 * @param tlsPorts ports the workspace serves over TLS itself
 * @param listeningPorts the TCP ports something listens on inside the workspace now, reachable from outside
 *                       it, as its host agent last saw them (sorted); {@code null} when nobody reports them
 *                       (an older agent, a route written by hand): the gateway then tries any port
 */
public record RouteRecord(String workspaceId, String address, String host, String owner, String org,
                          Map<String, String> labels, RouteState state, List<Integer> ports, List<Integer> tlsPorts,
                          List<Integer> listeningPorts)
        implements StoreRecord {

    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}");

    public RouteRecord {
        String problem = WorkspaceId.problemWith(requireNonNull(workspaceId, "workspaceId"));
        if (problem != null) {
            throw new InvalidRecordException(problem);
        }
        checkAddress(address);
        checkName("host", host);
        checkName("owner", owner);
        if (org != null) {
            checkName("org", org);
        }
        labels = Map.copyOf(requireNonNull(labels, "labels"));
        requireNonNull(state, "state");
        ports = sortedPorts("ports", ports);
        tlsPorts = sortedPorts("tlsPorts", tlsPorts);
        listeningPorts = listeningPorts == null ? null : sortedPorts("listeningPorts", listeningPorts);
    }

    /** A record whose listening ports nobody reports. */
    public RouteRecord(String workspaceId, String address, String host, String owner, String org,
                       Map<String, String> labels, RouteState state, List<Integer> ports, List<Integer> tlsPorts) {
        this(workspaceId, address, host, owner, org, labels, state, ports, tlsPorts, null);
    }

    /** This record with the ports listening now ({@code null}: not known). */
    public RouteRecord withListeningPorts(List<Integer> listening) {
        return new RouteRecord(workspaceId, address, host, owner, org, labels, state, ports, tlsPorts, listening);
    }

    /** A running workspace without labels or declared ports. */
    public static RouteRecord running(String workspaceId, String address, String host, String owner, String org) {
        return new RouteRecord(workspaceId, address, host, owner, org, Map.of(), RouteState.RUNNING, List.of(), List.of());
    }

    @Override
    public String key() {
        return StoreKeys.route(workspaceId);
    }

    private static void checkAddress(String address) {
        if (address == null) {
            throw new InvalidRecordException("address: missing (expected: an IPv4 or IPv6 literal)");
        }
        boolean v6 = address.indexOf(':') >= 0 && IPV6.matcher(address).matches() && isInet6Literal(address);
        if (!IPV4.matcher(address).matches() && !v6) {
            throw new InvalidRecordException("address: '" + abbreviate(address)
                    + "' (expected: an IPv4 or IPv6 literal, not a name: the gateway never asks DNS)");
        }
    }

    private static boolean isInet6Literal(String address) {
        try {
            // Only hex digits, ':' and '.' reach here, so this parses a literal and never resolves a name.
            return java.net.InetAddress.getByName(address) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static void checkName(String field, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new InvalidRecordException(field + ": " + (value == null ? "missing" : "'" + abbreviate(value) + "'")
                    + " (expected: 1-128 of letters, digits and ._@+-, starting with a letter or digit)");
        }
    }

    private static List<Integer> sortedPorts(String field, List<Integer> ports) {
        requireNonNull(ports, field);
        TreeSet<Integer> sorted = new TreeSet<>();
        for (Integer port : ports) {
            if (port == null || port < 1 || port > 65535) {
                throw new InvalidRecordException(field + ": " + port + " (expected: 1-65535)");
            }
            if (!sorted.add(port)) {
                throw new InvalidRecordException(field + ": " + port + " is listed twice (expected: each port once)");
            }
        }
        return List.copyOf(sorted);
    }

    static String abbreviate(String value) {
        return value.length() > 80 ? value.substring(0, 80) + "..." : value;
    }
}
