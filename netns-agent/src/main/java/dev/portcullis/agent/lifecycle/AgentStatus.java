package dev.portcullis.agent.lifecycle;

import dev.portcullis.agent.shaping.ShapingMode;

/**
 * The agent as a whole, for `status`: what it chose at start and how full the range is.
 *
 * @param workspaceIpv6Prefix the host's IPv6 prefix for workspaces; null when they are IPv4 only
 * @param uplink the host's uplink shared by weight, as last made or found ("eth0 1000 Mbit/s: 3
 *     workspace classes", or what is wrong with it); null when the agent does not shape it
 */
public record AgentStatus(
        String host,
        String table,
        boolean tablePresent,
        String addressRange,
        int slotPrefixLength,
        int workspaces,
        int freeSlots,
        ShapingMode shaping,
        String lastReconcile,
        String workspaceIpv6Prefix,
        String uplink) {}
