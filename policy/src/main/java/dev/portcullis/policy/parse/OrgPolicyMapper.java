package dev.portcullis.policy.parse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import dev.portcullis.policy.AccessRule;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PathPrefixes;
import dev.portcullis.policy.PortRange;
import dev.portcullis.policy.PortRule;
import dev.portcullis.policy.RuleMatch;
import dev.portcullis.policy.RuleNames;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.parse.Node.ListNode;
import dev.portcullis.policy.parse.Node.MapNode;

/** Maps the tree of an {@code OrgPolicy} file onto {@link OrgPolicy}, reporting every mistake. */
final class OrgPolicyMapper {

    private static final List<String> ROOT = List.of("apiVersion", "kind", "org", "sharing", "rules");
    private static final List<String> SHARING = List.of("enabled", "maxLevel", "defaultMaxLevel", "portRules");
    private static final List<String> PORT_RULE = List.of("name", "ports", "maxLevel");
    private static final List<String> RULE = List.of("name", "description", "effect", "match");
    private static final List<String> MATCH = List.of("users", "emailDomains", "groups", "claims",
                                                      "workspaceLabels", "ports", "methods", "pathPrefixes");

    private final Fields fields;
    private final Problems problems;

    OrgPolicyMapper(Fields fields) {
        this.fields = fields;
        problems = fields.problems();
    }

    /** The policy, or {@code null} when any error was recorded. */
    OrgPolicy map(Node node) {
        final MapNode root = fields.map(node, "", ROOT);
        if (root == null) {
            return null;
        }
        Headers.check(root, OrgPolicy.KIND, fields);
        final Node orgNode = Fields.optional(root, "org");
        final String org = orgNode == null ? null : fields.string(orgNode, "org");
        final Node sharingNode = fields.required(root, "", "sharing");
        final Sharing sharing = sharingNode == null ? null : sharing(sharingNode);
        final Node rulesNode = Fields.optional(root, "rules");
        final List<AccessRule> rules = rulesNode == null ? List.of() : accessRules(rulesNode);
        if (!problems.isEmpty() || sharing == null) {
            return null;
        }
        final OrgPolicy.Builder builder = OrgPolicy.builder(sharing.maxLevel).sharingEnabled(sharing.enabled);
        if (org != null) {
            builder.org(org);
        }
        if (sharing.defaultMaxLevel != null) {
            builder.defaultMaxLevel(sharing.defaultMaxLevel);
        }
        sharing.portRules.forEach(builder::addPortRule);
        rules.forEach(builder::addRule);
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            // Every check of build() is made above with a location; this is the last line of defence.
            problems.add(root, "", e.getMessage());
            return null;
        }
    }

    private record Sharing(boolean enabled, ShareLevel maxLevel, ShareLevel defaultMaxLevel,
                           List<PortRule> portRules) {}

    /** The {@code sharing} section, or {@code null} when it cannot be read at all. */
    private Sharing sharing(Node node) {
        final MapNode sharing = fields.map(node, "sharing", SHARING);
        if (sharing == null) {
            return null;
        }
        final Node maxNode = fields.required(sharing, "sharing", "maxLevel");
        final ShareLevel maxLevel = maxNode == null ? null : fields.level(maxNode, "sharing.maxLevel");
        final Node enabledNode = Fields.optional(sharing, "enabled");
        final Boolean enabled = enabledNode == null ? Boolean.TRUE : fields.bool(enabledNode, "sharing.enabled");
        final Node defaultNode = Fields.optional(sharing, "defaultMaxLevel");
        final ShareLevel defaultMaxLevel = defaultNode == null ? null
                                           : fields.level(defaultNode, "sharing.defaultMaxLevel");
        final Node portRulesNode = Fields.optional(sharing, "portRules");
        final List<PortRule> portRules = portRulesNode == null ? List.of() : portRules(portRulesNode);
        if (maxLevel == null || enabled == null) {
            return null;
        }
        return new Sharing(enabled, maxLevel, defaultMaxLevel, portRules);
    }

    private static void ifPresent(MapNode map, String key, Consumer<Node> action) {
        final Node node = Fields.optional(map, key);
        if (node != null) {
            action.accept(node);
        }
    }

    private List<PortRule> portRules(Node node) {
        final ListNode list = fields.list(node, "sharing.portRules");
        if (list == null) {
            return List.of();
        }
        final List<PortRule> result = new ArrayList<>();
        final Map<String, Node> names = new HashMap<>();
        for (int i = 0; i < list.items().size(); i++) {
            final String path = "sharing.portRules[" + i + ']';
            final MapNode rule = fields.map(list.items().get(i), path, PORT_RULE);
            if (rule == null) {
                continue;
            }
            final String name = name(rule, path, names);
            final Node portsNode = fields.required(rule, path, "ports");
            final List<PortRange> ports = portsNode == null ? null : fields.ports(portsNode, path + ".ports");
            final Node levelNode = fields.required(rule, path, "maxLevel");
            final ShareLevel level = levelNode == null ? null : fields.level(levelNode, path + ".maxLevel");
            if (name != null && ports != null && level != null) {
                final PortRule portRule = new PortRule(name, ports, level);
                for (int j = 0; j < result.size(); j++) {
                    final String overlap = OrgPolicy.firstOverlap(List.of(result.get(j), portRule));
                    if (overlap != null) {
                        problems.add(portsNode, path + ".ports", overlap);
                    }
                }
                result.add(portRule);
            }
        }
        return result;
    }

    private List<AccessRule> accessRules(Node node) {
        final ListNode list = fields.list(node, "rules");
        if (list == null) {
            return List.of();
        }
        final List<AccessRule> result = new ArrayList<>();
        final Map<String, Node> names = new HashMap<>();
        for (int i = 0; i < list.items().size(); i++) {
            final String path = "rules[" + i + ']';
            final MapNode rule = fields.map(list.items().get(i), path, RULE);
            if (rule == null) {
                continue;
            }
            final String name = name(rule, path, names);
            final Node effectNode = fields.required(rule, path, "effect");
            final AccessRule.Effect effect = effectNode == null ? null : effect(effectNode, path + ".effect");
            final Node descriptionNode = Fields.optional(rule, "description");
            final String description = descriptionNode == null ? null
                                       : fields.string(descriptionNode, path + ".description");
            final Node matchNode = fields.required(rule, path, "match");
            final RuleMatch match = matchNode == null ? null : match(matchNode, path + ".match");
            if (name != null && effect != null && match != null) {
                result.add(new AccessRule(name, effect, match, description));
            }
        }
        return result;
    }

    private String name(MapNode rule, String path, Map<String, Node> seen) {
        final Node node = fields.required(rule, path, "name");
        final String name = node == null ? null : fields.string(node, path + ".name");
        if (name == null) {
            return null;
        }
        final String problem = RuleNames.problemWith(name);
        if (problem != null) {
            problems.add(node, path + ".name", problem);
            return null;
        }
        final Node earlier = seen.putIfAbsent(name, node);
        if (earlier != null) {
            problems.add(node, path + ".name", "\"" + name + "\" is already the name of the rule at line "
                                               + earlier.line() + " (expected: unique names)");
            return null;
        }
        return name;
    }

    private AccessRule.Effect effect(Node node, String path) {
        final String text = fields.string(node, path);
        if (text == null) {
            return null;
        }
        return switch (text) {
            case "allow" -> AccessRule.Effect.ALLOW;
            case "deny" -> AccessRule.Effect.DENY;
            default -> {
                problems.add(node, path, "\"" + text + "\" (expected: allow or deny)");
                yield null;
            }
        };
    }

    private RuleMatch match(Node node, String path) {
        final int before = problems.count();
        final MapNode map = fields.map(node, path, MATCH);
        if (map == null) {
            return null;
        }
        if (map.entries().isEmpty()) {
            problems.add(node, path, "{} (expected: at least one condition; a rule matching everything is refused)");
            return null;
        }
        final RuleMatch.Builder b = RuleMatch.builder();
        ifPresent(map, "users", n -> strings(n, path + ".users", v -> b.users(v)));
        ifPresent(map, "groups", n -> strings(n, path + ".groups", v -> b.groups(v)));
        ifPresent(map, "emailDomains", n -> strings(n, path + ".emailDomains", v -> {
            for (int i = 0; i < v.length; i++) {
                if (v[i].indexOf('@') >= 0 || v[i].startsWith(".")) {
                    problems.add(n, path + ".emailDomains[" + i + ']',
                                 "\"" + v[i] + "\" (expected: a domain such as example.com, without '@')");
                }
            }
            b.emailDomains(v);
        }));
        ifPresent(map, "methods", n -> strings(n, path + ".methods", v -> {
            for (int i = 0; i < v.length; i++) {
                if (!v[i].matches("[A-Z]+")) {
                    problems.add(n, path + ".methods[" + i + ']', "\"" + v[i] + "\" (expected: an HTTP method in "
                                 + "capitals, such as " + v[i].toUpperCase(Locale.ROOT) + ')');
                }
            }
            b.methods(v);
        }));
        ifPresent(map, "pathPrefixes", n -> strings(n, path + ".pathPrefixes", v -> {
            for (int i = 0; i < v.length; i++) {
                final String problem = PathPrefixes.problemWith(v[i]);
                if (problem != null) {
                    problems.add(n, path + ".pathPrefixes[" + i + ']', problem);
                    return;
                }
            }
            b.pathPrefixes(v);
        }));
        ifPresent(map, "ports", n -> {
            final List<PortRange> ports = fields.ports(n, path + ".ports");
            if (ports != null) {
                b.ports(ports.toArray(new PortRange[0]));
            }
        });
        ifPresent(map, "claims", n -> {
            final Map<String, Set<String>> claims = fields.valuesByName(n, path + ".claims");
            if (claims != null) {
                claims.forEach((k, v) -> b.claim(k, v.toArray(new String[0])));
            }
        });
        ifPresent(map, "workspaceLabels", n -> {
            final Map<String, Set<String>> labels = fields.valuesByName(n, path + ".workspaceLabels");
            if (labels != null) {
                labels.forEach((k, v) -> b.workspaceLabel(k, v.toArray(new String[0])));
            }
        });
        return problems.count() == before ? b.build() : null;
    }

    private void strings(Node node, String path, Consumer<String[]> action) {
        final List<String> values = fields.strings(node, path);
        if (values != null) {
            action.accept(values.toArray(new String[0]));
        }
    }
}
