package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides one request against one {@link OrgPolicy}. Everything that does not depend on the
 * request (the maximum of every port, the rules split by effect, every decision a share can lead
 * to) is computed here, once, so that {@link #evaluate} allocates nothing on the usual paths and can
 * run on every request without a cache. Thread-safe.
 *
 * <p>Order of evaluation, first answer wins:
 * <ol>
 *   <li>bad port, a path not in {@link RequestPaths normal form} (on ports with path rules), policy for
 *       another org: deny;</li>
 *   <li>every matching deny rule: deny (even the owner);</li>
 *   <li>the owner: allow;</li>
 *   <li>kill switch: deny;</li>
 *   <li>first matching allow rule: allow;</li>
 *   <li>the port's share, narrowed by the port's maximum and the org maximum.</li>
 * </ol>
 */
public final class PolicyEvaluator {

    private static final Decision OWNER_MATCH = Decision.allow(ReasonCodes.OWNER_MATCH);
    private static final Decision SHARING_DISABLED = Decision.deny(ReasonCodes.SHARING_DISABLED);
    private static final Decision NO_SHARE = Decision.deny(ReasonCodes.NO_SHARE);
    private static final Decision SHARE_EXPIRED = Decision.deny(ReasonCodes.SHARE_EXPIRED);
    private static final Decision PORT_INVALID = Decision.deny(ReasonCodes.PORT_INVALID);
    private static final Decision PATH_NOT_NORMALIZED = Decision.deny(ReasonCodes.PATH_NOT_NORMALIZED);
    private static final Decision POLICY_ORG_MISMATCH = Decision.deny(ReasonCodes.POLICY_ORG_MISMATCH);

    private static final int ALLOWED = 0;
    private static final int REFUSED = 1;
    private static final int REFUSED_ANONYMOUS = 2;

    private final OrgPolicy policy;
    private final Clock clock;
    private final AccessRule[] denyRules;
    private final AccessRule[] allowRules;
    private final RuleMatch[] pathRules;
    private final PortCap defaultCap;
    private final int[] rangeFirst;
    private final int[] rangeLast;
    private final PortCap[] rangeCap;

    public PolicyEvaluator(OrgPolicy policy) {
        this(policy, Clock.systemUTC());
    }

    public PolicyEvaluator(OrgPolicy policy, Clock clock) {
        this.policy = requireNonNull(policy, "policy");
        this.clock = requireNonNull(clock, "clock");
        denyRules = policy.rules().stream()
                          .filter(r -> r.effect() == AccessRule.Effect.DENY).toArray(AccessRule[]::new);
        allowRules = policy.rules().stream()
                           .filter(r -> r.effect() == AccessRule.Effect.ALLOW).toArray(AccessRule[]::new);
        pathRules = policy.rules().stream().map(AccessRule::match).toArray(RuleMatch[]::new);

        final ShareLevel max = policy.maxLevel();
        final ShareLevel defaultMax = policy.defaultMaxLevel();
        defaultCap = defaultMax.isWiderThan(max)
                     ? new PortCap(max, ReasonCodes.orgMax(max))
                     : new PortCap(defaultMax, defaultMax == max ? ReasonCodes.orgMax(max)
                                                                 : ReasonCodes.defaultMax(defaultMax));
        final List<int[]> ranges = new ArrayList<>();
        final List<PortCap> caps = new ArrayList<>();
        for (PortRule rule : policy.portRules()) {
            final PortCap cap = rule.maxLevel().isWiderThan(max)
                                ? new PortCap(max, ReasonCodes.orgMax(max))
                                : new PortCap(rule.maxLevel(), ReasonCodes.portMax(rule.maxLevel(), rule.name()));
            for (PortRange range : rule.ports()) {
                ranges.add(new int[] { range.first(), range.last() });
                caps.add(cap);
            }
        }
        rangeFirst = ranges.stream().mapToInt(r -> r[0]).toArray();
        rangeLast = ranges.stream().mapToInt(r -> r[1]).toArray();
        rangeCap = caps.toArray(new PortCap[0]);
    }

    public OrgPolicy policy() {
        return policy;
    }

    /** Whether some rule with path prefixes may apply to {@code port}: then paths there are normalised. */
    public boolean hasPathRulesFor(int port) {
        for (RuleMatch rule : pathRules) {
            if (rule.hasPathPrefixesFor(port)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The path to decide on and forward for a request to {@code port}: on a port with path rules,
     * the {@link RequestPaths#normalize normal form} of {@code rawPath} or its refusal; on any other
     * port, {@code rawPath} unchanged (the workspace's server reads it as it likes; no rule depends on it).
     */
    public RequestPaths.Outcome pathFor(int port, String rawPath) {
        requireNonNull(rawPath, "rawPath");
        return hasPathRulesFor(port) ? RequestPaths.normalize(rawPath) : new RequestPaths.Decided(rawPath);
    }

    /**
     * May {@code principal} send {@code method path} to {@code port} of {@code workspace}?
     *
     * @param principal the verified caller, or {@link Principal#anonymous()}
     * @param path the request path without the query string, as {@link #pathFor} gave it: on a port
     *             with path rules a path not in normal form is denied ({@code path-not-normalized})
     */
    public Decision evaluate(Principal principal, Workspace workspace, int port, String method, String path) {
        return evaluate(principal, workspace, requireNonNull(workspace, "workspace").shares(), port, method, path);
    }

    /**
     * As {@link #evaluate(Principal, Workspace, int, String, String)}, with the workspace's shares
     * given apart: a gateway keeps routes (owner, org, labels) and shares in separate snapshots, which
     * change at different times, and joins them here without building a {@link Workspace} per request.
     */
    public Decision evaluate(Principal principal, Workspace workspace, PortShares shares, int port, String method,
                             String path) {
        requireNonNull(principal, "principal");
        requireNonNull(workspace, "workspace");
        requireNonNull(shares, "shares");
        requireNonNull(method, "method");
        requireNonNull(path, "path");
        if (port < PortRange.MIN_PORT || port > PortRange.MAX_PORT) {
            return PORT_INVALID;
        }
        if (hasPathRulesFor(port) && !RequestPaths.isNormal(path)) {
            return PATH_NOT_NORMALIZED;
        }
        if (policy.org() != null && !policy.org().equals(workspace.org())) {
            return POLICY_ORG_MISMATCH;
        }
        final Decision denied = matchDenyRules(principal, workspace, port, method, path);
        if (denied != null) {
            return denied;
        }
        if (principal.isNamedBy(workspace.ownerUserId(), workspace.org())) {
            return OWNER_MATCH;
        }
        if (!policy.sharingEnabled()) {
            return SHARING_DISABLED;
        }
        for (AccessRule rule : allowRules) {
            if (rule.match().matches(principal, workspace, port, method, path)) {
                return rule.decision();
            }
        }
        final PortShare share = shares.forPort(port);
        if (share == null) {
            return NO_SHARE;
        }
        if (share.isExpiredAt(clock.millis())) {
            return SHARE_EXPIRED;
        }
        final PortCap cap = capOf(port);
        final ShareLevel effective = ShareLevel.narrowest(share.level(), cap.level);
        final int outcome;
        if (admits(effective, share, principal, workspace)) {
            outcome = ALLOWED;
        } else {
            outcome = principal.isAuthenticated() ? REFUSED : REFUSED_ANONYMOUS;
        }
        return cap.decisions[share.level().ordinal()][outcome];
    }

    /** The maximum level of {@code port}: its port rule's, else the org default, within the org maximum. */
    public ShareLevel maxLevelOf(int port) {
        return capOf(PortRange.checkPort(port)).level;
    }

    private PortCap capOf(int port) {
        for (int i = 0; i < rangeFirst.length; i++) {
            if (port >= rangeFirst[i] && port <= rangeLast[i]) {
                return rangeCap[i];
            }
        }
        return defaultCap;
    }

    private Decision matchDenyRules(Principal principal, Workspace workspace, int port, String method,
                                    String path) {
        Decision first = null;
        List<String> all = null;
        for (AccessRule rule : denyRules) {
            if (!rule.match().covers(principal, workspace, port, method, path)) {
                continue;
            }
            if (first == null) {
                first = rule.decision();
            } else {
                // Rare: several deny rules hit. Explain and audit want all of them.
                if (all == null) {
                    all = new ArrayList<>(first.reasons());
                }
                all.add(rule.reasonCode());
            }
        }
        return all == null ? first : Decision.of(false, all);
    }

    private static boolean admits(ShareLevel level, PortShare share, Principal principal, Workspace workspace) {
        return switch (level) {
            case PUBLIC -> true;
            case AUTHENTICATED -> principal.isAuthenticated();
            case ORGANIZATION -> principal.isAuthenticated()
                                 && (principal.org() != null && principal.org().equals(workspace.org())
                                     && principal.speaksFor(workspace.org())
                                     || share.namesPrincipal(principal, workspace.org()));
            case USERS -> share.namesPrincipal(principal, workspace.org());
            case OWNER -> false;
        };
    }

    /**
     * The maximum level on some ports and every decision a share can lead to under it, indexed by
     * the share's own level and the outcome. Reasons are in evaluation order: the share's level as
     * the owner set it, the maximum that narrowed it (if any), what the principal lacked (if denied).
     */
    private static final class PortCap {
        final ShareLevel level;
        final Decision[][] decisions;

        PortCap(ShareLevel level, String narrowedReason) {
            this.level = level;
            final ShareLevel[] levels = ShareLevel.values();
            decisions = new Decision[levels.length][];
            for (ShareLevel shared : levels) {
                final ShareLevel effective = ShareLevel.narrowest(shared, level);
                final List<String> reasons = new ArrayList<>();
                reasons.add(ReasonCodes.share(shared));
                if (effective != shared) {
                    reasons.add(narrowedReason);
                }
                decisions[shared.ordinal()] = new Decision[] {
                        Decision.of(true, reasons),
                        Decision.of(false, with(reasons, refusal(effective))),
                        Decision.of(false, with(reasons, ReasonCodes.NOT_AUTHENTICATED)),
                };
            }
        }

        private static List<String> with(List<String> reasons, String reason) {
            final List<String> copy = new ArrayList<>(reasons);
            copy.add(reason);
            return copy;
        }

        private static String refusal(ShareLevel effective) {
            return switch (effective) {
                case OWNER -> ReasonCodes.NOT_OWNER;
                case USERS -> ReasonCodes.NOT_NAMED;
                case ORGANIZATION -> ReasonCodes.NOT_ORG_MEMBER;
                // Only anonymous callers are refused at these levels, and they get NOT_AUTHENTICATED.
                case AUTHENTICATED, PUBLIC -> ReasonCodes.NOT_AUTHENTICATED;
            };
        }
    }
}
