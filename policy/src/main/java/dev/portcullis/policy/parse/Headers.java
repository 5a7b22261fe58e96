package dev.portcullis.policy.parse;

import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.parse.Node.MapNode;

/** The {@code apiVersion} and {@code kind} every policy input starts with. */
final class Headers {

    private Headers() {}

    /** Checks both; a file of another version or kind is refused rather than half-understood. */
    static void check(MapNode root, String expectedKind, Fields fields) {
        final Node version = fields.required(root, "", "apiVersion");
        if (version != null) {
            final String text = fields.string(version, "apiVersion");
            if (text != null && !text.equals(OrgPolicy.API_VERSION)) {
                fields.problems().add(version, "apiVersion",
                        "\"" + text + "\" is not supported (expected: " + OrgPolicy.API_VERSION + ')');
            }
        }
        final Node kind = fields.required(root, "", "kind");
        if (kind != null) {
            final String text = fields.string(kind, "kind");
            if (text != null && !text.equals(expectedKind)) {
                fields.problems().add(kind, "kind", "\"" + text + "\" (expected: " + expectedKind + ')');
            }
        }
    }

    /** The {@code kind} written in {@code root}, or {@code null}; used to pick a mapper. */
    static String kindOf(Node root) {
        if (root instanceof MapNode map && Fields.optional(map, "kind") instanceof Node.ScalarNode kind) {
            return kind.text();
        }
        return null;
    }
}
