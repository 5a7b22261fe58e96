package dev.portcullis.policy;

import java.util.Map;

/** One line of plain words per reason code, for people reading {@code explain}. */
public final class ReasonText {

    private static final Map<String, String> FIXED = Map.ofEntries(
            Map.entry("owner-match", "the caller owns the workspace"),
            Map.entry("sharing-disabled", "the org's kill switch is on: only owners get in"),
            Map.entry("no-share", "the owner has not shared this port"),
            Map.entry("share-expired", "the owner's share of this port has expired"),
            Map.entry("not-owner", "only the owner may reach this port"),
            Map.entry("not-named", "the caller is neither a named user nor in a named group of the share"),
            Map.entry("not-org-member", "the caller is not in the workspace's organization"),
            Map.entry("not-authenticated", "the caller has no credential, and this port needs one"),
            Map.entry("port-invalid", "the port is outside 1-65535"),
            Map.entry("path-not-normalized", "the path has dot segments, '//' or encoded separators"),
            Map.entry("policy-org-mismatch", "the policy is for another organization than the workspace's"));

    private ReasonText() {}

    public static String of(String code) {
        final String fixed = FIXED.get(code);
        if (fixed != null) {
            return fixed;
        }
        final int colon = code.indexOf(':');
        final String rule = colon < 0 ? "" : code.substring(colon + 1);
        if (code.startsWith("deny-rule:")) {
            return "deny rule " + rule + " matched; a deny always wins";
        }
        if (code.startsWith("allow-rule:")) {
            return "allow rule " + rule + " matched";
        }
        if (code.startsWith("share-")) {
            return "the owner shared the port at level " + code.substring("share-".length());
        }
        if (code.startsWith("org-max-")) {
            return "the org maximum narrows the share to " + code.substring("org-max-".length());
        }
        if (code.startsWith("default-max-")) {
            return "the maximum for ports without a port rule narrows the share to "
                   + code.substring("default-max-".length());
        }
        if (code.startsWith("port-max-")) {
            return "port rule " + rule + " narrows the share to "
                   + code.substring("port-max-".length(), colon < 0 ? code.length() : colon);
        }
        return "";
    }
}
