package dev.portcullis.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.config.Forwarding;
import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.gateway.fairness.Fairness;
import dev.portcullis.gateway.limits.WorkspaceConnections;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.RouteTable;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What every proxied connection shares: where routes come from and how to reach a workspace.
 *
 * @param baseDomains        the domains whose {@code <port>-<workspace>} names are served
 * @param routes             the current route snapshot; read once per request, never locked
 * @param pools              idle workspace connections, one pool per event loop
 * @param timeouts           how long to wait for what
 * @param limits             body size limit
 * @param metrics            where requests, bytes and errors are counted
 * @param access             when present, every request is authenticated and decided by the policy;
 *                           when absent, every workspace port is open to anyone (development only)
 * @param fairness           hands out each relay flow's bandwidth gate; {@link Fairness#OFF} when not configured
 * @param forwarding         which forwarding headers workspaces receive besides {@code X-Forwarded-*}
 * @param workspaceConnections who may hold how many workspace connections, and the descriptor budget
 */
public record ProxySettings(
        List<String> baseDomains,
        Supplier<RouteTable> routes,
        UpstreamPools pools,
        Timeouts timeouts,
        Limits limits,
        GatewayMetrics metrics,
        Optional<AccessControl> access,
        Fairness fairness,
        Forwarding forwarding,
        WorkspaceConnections workspaceConnections) {
    public ProxySettings {
        baseDomains = List.copyOf(baseDomains);
        requireNonNull(routes, "routes");
        requireNonNull(pools, "pools");
        requireNonNull(timeouts, "timeouts");
        requireNonNull(limits, "limits");
        requireNonNull(metrics, "metrics");
        requireNonNull(access, "access");
        requireNonNull(fairness, "fairness");
        requireNonNull(forwarding, "forwarding");
        requireNonNull(workspaceConnections, "workspaceConnections");
    }

    /** Settings without bandwidth fairness, with the default forwarding headers. */
    public ProxySettings(List<String> baseDomains, Supplier<RouteTable> routes, UpstreamPools pools, Timeouts timeouts,
                         Limits limits, GatewayMetrics metrics, Optional<AccessControl> access) {
        this(baseDomains, routes, pools, timeouts, limits, metrics, access, Fairness.OFF, Forwarding.DEFAULTS,
                WorkspaceConnections.start(limits.workspaceConnections(), metrics));
    }
}
