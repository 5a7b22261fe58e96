package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.RequestPaths;
import dev.portcullis.policy.Principal;
import java.util.HashMap;
import java.util.Map;

/**
 * The org policies and port shares in force at one moment. Immutable: a change builds a new
 * snapshot and swaps it whole, so a request decides against one consistent state and takes no lock.
 * Each policy's evaluator is built once here, not per request.
 */
public final class AccessSnapshot {
    /** The reason when a route does not say who owns the workspace: nobody can be matched to it. */
    public static final String OWNER_UNKNOWN = "workspace-owner-unknown";

    private static final Decision OWNER_UNKNOWN_DECISION = Decision.deny(OWNER_UNKNOWN);

    private final Map<String, PolicyEvaluator> byOrg;
    private final PolicyEvaluator fallback;
    private final Map<String, PortShares> sharesByWorkspace;

    /** The maps are not copied: callers pass maps nobody changes afterwards. */
    private AccessSnapshot(Map<String, PolicyEvaluator> byOrg, PolicyEvaluator fallback,
                           Map<String, PortShares> sharesByWorkspace) {
        this.byOrg = byOrg;
        this.fallback = fallback;
        this.sharesByWorkspace = sharesByWorkspace;
    }

    /**
     * A snapshot over maps kept elsewhere, without copying them (the store's replica keeps its
     * shares in a map that copies only the part a change touches).
     *
     * @param byOrg             each org's evaluator; must not change once passed
     * @param fallback          the evaluator of orgs without a policy; its policy names no org
     * @param sharesByWorkspace must not change once passed
     */
    public static AccessSnapshot over(Map<String, PolicyEvaluator> byOrg, PolicyEvaluator fallback,
                                      Map<String, PortShares> sharesByWorkspace) {
        if (requireNonNull(fallback, "fallback").policy().org() != null) {
            throw new IllegalArgumentException("fallback: names org '" + fallback.policy().org()
                    + "' (expected: a policy for any org)");
        }
        return new AccessSnapshot(requireNonNull(byOrg, "byOrg"), fallback,
                requireNonNull(sharesByWorkspace, "sharesByWorkspace"));
    }

    /**
     * No org policies and no shares yet.
     *
     * @param fallback the policy of every workspace whose org has none of its own (and of workspaces
     *                 without an org); it must not name an org
     */
    public static AccessSnapshot empty(OrgPolicy fallback) {
        if (requireNonNull(fallback, "fallback").org() != null) {
            throw new IllegalArgumentException("fallback: names org '" + fallback.org() + "' (expected: a policy for any org)");
        }
        return new AccessSnapshot(Map.of(), new PolicyEvaluator(fallback), Map.of());
    }

    /** May {@code principal} send {@code method path} to {@code port} of the workspace {@code route} leads to? */
    public Decision decide(Principal principal, WorkspaceRoute route, int port, String method, String path) {
        if (route.owner() == null) {
            return OWNER_UNKNOWN_DECISION;
        }
        PortShares shares = sharesByWorkspace.getOrDefault(route.workspaceId(), PortShares.none());
        return evaluatorOf(route).evaluate(principal, route.owner(), shares, port, method, path);
    }

    /**
     * The path to decide on and forward for {@code rawPath} at {@code port} of the workspace
     * {@code route} leads to: normalised, or refused, when its org's policy has path rules for the port.
     */
    public RequestPaths.Outcome pathFor(WorkspaceRoute route, int port, String rawPath) {
        if (route.owner() == null) {
            return new RequestPaths.Decided(rawPath);
        }
        return evaluatorOf(route).pathFor(port, rawPath);
    }

    private PolicyEvaluator evaluatorOf(WorkspaceRoute route) {
        String org = route.owner().org();
        return org == null ? fallback : byOrg.getOrDefault(org, fallback);
    }

    /** The policy of {@code org}, or {@code null} when the org has none of its own. */
    public OrgPolicy policyOf(String org) {
        PolicyEvaluator evaluator = byOrg.get(org);
        return evaluator == null ? null : evaluator.policy();
    }

    /** The policy every org without its own follows. */
    public OrgPolicy fallbackPolicy() {
        return fallback.policy();
    }

    public Map<String, OrgPolicy> policies() {
        Map<String, OrgPolicy> policies = new HashMap<>();
        byOrg.forEach((org, evaluator) -> policies.put(org, evaluator.policy()));
        return policies;
    }

    /** The shares of {@code workspaceId}; none when its owner set none. */
    public PortShares sharesOf(String workspaceId) {
        return sharesByWorkspace.getOrDefault(workspaceId, PortShares.none());
    }

    AccessSnapshot withPolicy(OrgPolicy policy) {
        String org = requireNonNull(policy.org(), "policy.org");
        Map<String, PolicyEvaluator> next = new HashMap<>(byOrg);
        next.put(org, new PolicyEvaluator(policy));
        return new AccessSnapshot(Map.copyOf(next), fallback, sharesByWorkspace);
    }

    AccessSnapshot withoutPolicy(String org) {
        Map<String, PolicyEvaluator> next = new HashMap<>(byOrg);
        next.remove(org);
        return new AccessSnapshot(Map.copyOf(next), fallback, sharesByWorkspace);
    }

    AccessSnapshot withShares(String workspaceId, PortShares shares) {
        Map<String, PortShares> next = new HashMap<>(sharesByWorkspace);
        if (shares.all().isEmpty()) {
            next.remove(workspaceId);
        } else {
            next.put(workspaceId, shares);
        }
        return new AccessSnapshot(byOrg, fallback, Map.copyOf(next));
    }
}
