package dev.portcullis.gateway.pages;

import java.util.Map;

/**
 * The policy's reason codes in words for the person who was turned away (docs/policy.md lists the
 * codes). Only the codes that explain a refusal get a sentence; the others (which share level
 * applied, which maximum narrowed it) are details for the owner and the audit log.
 */
final class DenialWords {
    private static final Map<String, String> FIXED = Map.ofEntries(
            Map.entry("no-share", "The owner has not shared this port with anyone."),
            Map.entry("share-expired", "The owner's share of this port has ended."),
            Map.entry("not-owner", "Only the workspace's owner may open this port."),
            Map.entry("not-named", "This port is shared with named people and groups, and you are not among them."),
            Map.entry("not-org-member", "This port is shared with the workspace's organization, and you are not a member."),
            Map.entry("sharing-disabled", "The organization has switched sharing off: only owners get in for now."),
            Map.entry("workspace-owner-unknown", "The gateway does not know who owns this workspace, so it lets nobody in."),
            Map.entry("workspace-deleted", "The workspace was deleted while your request was being checked."),
            Map.entry("path-not-normalized", "The address contains '..', '//' or encoded slashes, which the gateway refuses."),
            Map.entry("cross-origin", "The request came from a page of another site or workspace. Your browser sent"
                    + " your sign-in with it, so the gateway refused it: only this port's own pages may send"
                    + " changes or open live connections to it."));

    private DenialWords() {}

    /** The sentence for {@code code}, or null when the code needs none. */
    static String of(String code) {
        String fixed = FIXED.get(code);
        if (fixed != null) {
            return fixed;
        }
        if (code.startsWith("deny-rule:")) {
            return "A rule of the organization denies this (" + code.substring("deny-rule:".length()) + ").";
        }
        return null;
    }
}
