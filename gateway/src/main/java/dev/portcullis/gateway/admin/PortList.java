package dev.portcullis.gateway.admin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.ShareLevel;
import java.time.Instant;
import java.util.TreeSet;

/**
 * A workspace's ports as Codespaces, Gitpod and Coder list them: each port something listens on (as
 * the workspace's host agent reports) and each port that is shared, with its URL, how the gateway
 * speaks to it and who may open it. The record shape is documented in docs/cli.md ({@code ports}).
 */
final class PortList {
    private PortList() {}

    /**
     * @param baseDomain the domain port URLs are under
     * @param now        shares that ended before it count as not shared
     */
    static ObjectNode of(WorkspaceRoute route, PortShares shares, PolicyEvaluator evaluator, String baseDomain,
                         Instant now) {
        ObjectNode answer = JsonNodeFactory.instance.objectNode().put("workspace", route.workspaceId());
        boolean known = route.listeningPorts() != null;
        answer.put("listeningKnown", known);
        TreeSet<Integer> ports = new TreeSet<>();
        if (known) {
            ports.addAll(route.listeningPorts());
        }
        shares.all().forEach(share -> ports.add(share.port()));
        var list = answer.putArray("ports");
        for (int port : ports) {
            PortShare share = shares.forPort(port);
            boolean ended = share != null && share.expiresAt() != null && !share.expiresAt().isAfter(now);
            ShareLevel level = share == null || ended ? ShareLevel.OWNER : share.level();
            ObjectNode entry = list.addObject()
                    .put("workspace", route.workspaceId())
                    .put("port", port)
                    .put("protocol", route.tlsPorts().contains(port) ? "https" : "http")
                    .put("url", "https://" + port + "-" + route.workspaceId() + "." + baseDomain + "/")
                    .put("shareLevel", level.configName())
                    .put("effectiveLevel", ShareLevel.narrowest(level, evaluator.maxLevelOf(port)).configName());
            if (known) {
                entry.put("listening", route.listeningPorts().contains(port));
            } else {
                entry.putNull("listening");
            }
        }
        return answer;
    }
}
