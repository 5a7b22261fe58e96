package dev.portcullis.gateway.console;

import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import java.util.ArrayList;
import java.util.List;

/**
 * What a new version of an org's policy would narrow or cut before it is applied: every share in the
 * org's workspaces whose effective level would become narrower, and every open connection (request
 * or tunnel) the new version would deny, which applying it would close.
 */
final class PolicyDryRun {
    /** One share whose effective level the new policy narrows; {@code to} is {@code owner} when it is cut. */
    record NarrowedShare(String workspace, int port, ShareLevel shared, ShareLevel from, ShareLevel to, String why) {}

    /** One open connection the new policy denies. */
    record CutConnection(String principal, String workspace, int port, String method, String path, List<String> reasons) {}

    record Result(List<NarrowedShare> shares, List<CutConnection> connections) {}

    private PolicyDryRun() {}

    static Result of(String org, OrgPolicy next, RouteTable routes, AccessSnapshot now, List<OpenGrants.Grant> open) {
        PolicyEvaluator nextEvaluator = new PolicyEvaluator(next);
        List<NarrowedShare> shares = new ArrayList<>();
        for (WorkspaceRoute route : routes.routes()) {
            if (route.owner() == null || !org.equals(route.owner().org())) {
                continue;
            }
            OrgPolicy current = PortsPage.policyOf(now, route);
            for (PortShare share : now.sharesOf(route.workspaceId()).all()) {
                ShareLevel before = effective(share, ShareCap.of(current, share.port()));
                ShareCap nextCap = ShareCap.of(next, share.port());
                ShareLevel after = effective(share, nextCap);
                if (before.isWiderThan(after)) {
                    shares.add(new NarrowedShare(route.workspaceId(), share.port(), share.level(), before, after, nextCap.why()));
                }
            }
        }
        List<CutConnection> connections = new ArrayList<>();
        for (OpenGrants.Grant grant : open) {
            WorkspaceRoute route = routes.lookup(grant.workspaceId());
            if (route == null || route.owner() == null || !org.equals(route.owner().org())) {
                continue;
            }
            Decision decision = nextEvaluator.evaluate(grant.principal(), route.owner(), now.sharesOf(route.workspaceId()),
                    grant.port(), grant.method(), grant.path());
            if (!decision.isAllowed()) {
                connections.add(new CutConnection(grant.principal().isAuthenticated() ? grant.principal().qualifiedId() : "anonymous",
                        grant.workspaceId(), grant.port(), grant.method(), grant.path(), decision.reasons()));
            }
        }
        return new Result(shares, connections);
    }

    private static ShareLevel effective(PortShare share, ShareCap cap) {
        return ShareLevel.narrowest(share.level(), cap.max());
    }
}
