package dev.portcullis.policy;

/**
 * The reason codes a {@link Decision} carries. They are part of the audit log and of what admins
 * read in {@code portcullis policy explain}, so they only ever gain members; docs/policy.md lists them.
 */
public final class ReasonCodes {

    /** The principal owns the workspace. */
    public static final String OWNER_MATCH = "owner-match";
    /** The org policy's kill switch is on: nobody but the owner gets in. */
    public static final String SHARING_DISABLED = "sharing-disabled";
    /** The owner has not shared the port. */
    public static final String NO_SHARE = "no-share";
    /** The owner shared the port, but the share's expiry has passed. */
    public static final String SHARE_EXPIRED = "share-expired";
    /** The effective level is owner, and the principal is not the owner. */
    public static final String NOT_OWNER = "not-owner";
    /** The effective level is users, and the principal is neither a named user nor in a named group. */
    public static final String NOT_NAMED = "not-named";
    /** The effective level is organization, and the principal is not in the workspace's organization. */
    public static final String NOT_ORG_MEMBER = "not-org-member";
    /** The effective level needs an authenticated principal, and the request carried no credential. */
    public static final String NOT_AUTHENTICATED = "not-authenticated";
    /** The port is outside 1-65535. */
    public static final String PORT_INVALID = "port-invalid";
    /** The path is not in {@link RequestPaths normal form} on a port with path rules, which could be bypassed. */
    public static final String PATH_NOT_NORMALIZED = "path-not-normalized";
    /**
     * The gateway refused the path outright (400) on a port with path rules: servers read its form
     * in different ways ({@link RequestPaths.Refused}). Audit only; the evaluator never returns it.
     */
    public static final String PATH_AMBIGUOUS = "path-ambiguous";
    /** The policy names an organization other than the workspace's. */
    public static final String POLICY_ORG_MISMATCH = "policy-org-mismatch";

    private ReasonCodes() {}

    /** The share admitted or refused the principal at {@code level}: {@code share-org}. */
    public static String share(ShareLevel level) {
        return "share-" + level.code();
    }

    /** The org-wide maximum narrowed the share: {@code org-max-owner}. */
    public static String orgMax(ShareLevel level) {
        return "org-max-" + level.code();
    }

    /** The maximum for ports without a port rule narrowed the share: {@code default-max-users}. */
    public static String defaultMax(ShareLevel level) {
        return "default-max-" + level.code();
    }

    /** A port rule narrowed the share: {@code port-max-owner:ssh-and-databases}. */
    public static String portMax(ShareLevel level, String ruleName) {
        return "port-max-" + level.code() + ':' + ruleName;
    }

    /** A deny rule matched: {@code deny-rule:contractors-db}. */
    public static String denyRule(String ruleName) {
        return "deny-rule:" + ruleName;
    }

    /** An allow rule matched: {@code allow-rule:sre-metrics}. */
    public static String allowRule(String ruleName) {
        return "allow-rule:" + ruleName;
    }
}
