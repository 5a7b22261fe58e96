package dev.portcullis.policy;

/**
 * What the issuer of a principal's token may speak for, as the gateway's issuer configuration says.
 * Two issuers may both have a user {@code alice}; only the issuer bound to an org may vouch for
 * that org's groups, claims and email domains, and only the org's home issuer gives meaning to the
 * bare user names in the org's records.
 */
public interface IssuerScope {

    /** Every org, home of every org: the gateway trusts one issuer only, or a test needs no issuers. */
    IssuerScope ANY = new IssuerScope() {
        @Override
        public boolean speaksFor(String org) {
            return true;
        }

        @Override
        public boolean isHomeOf(String org) {
            return true;
        }
    };

    /**
     * Whether the issuer is bound to {@code org} (null: a workspace without org), so that a token's
     * groups, claims and email domain count in that org's policy and shares.
     */
    boolean speaksFor(String org);

    /**
     * Whether the issuer is the one issuer bound to {@code org}, so that a bare user name such as
     * {@code alice} in the org's records (a workspace owner, a share, a policy rule) means this
     * issuer's {@code alice}. When several issuers are bound to an org, no bare name matches anyone.
     */
    boolean isHomeOf(String org);
}
