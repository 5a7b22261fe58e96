package dev.portcullis.policy.parse;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WebOrigin;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.Node.ListNode;
import dev.portcullis.policy.parse.Node.MapNode;

/** Maps the tree of a {@code PortShares} file onto {@link SharesFile}, reporting every mistake. */
final class SharesMapper {

    private static final List<String> ROOT = List.of("apiVersion", "kind", "workspace", "shares");
    private static final List<String> SHARE = List.of("port", "level", "users", "groups", "expires", "allowedOrigins");

    private final Fields fields;
    private final Problems problems;
    private final Clock clock;

    SharesMapper(Fields fields, Clock clock) {
        this.fields = fields;
        problems = fields.problems();
        this.clock = clock;
    }

    /** The shares, or {@code null} when any error was recorded. */
    SharesFile map(Node node) {
        final MapNode root = fields.map(node, "", ROOT);
        if (root == null) {
            return null;
        }
        Headers.check(root, SharesFile.KIND, fields);
        final Node idNode = fields.required(root, "", "workspace");
        WorkspaceId id = null;
        if (idNode != null) {
            final String text = fields.string(idNode, "workspace");
            final String problem = text == null ? null : WorkspaceId.problemWith(text);
            if (problem != null) {
                problems.add(idNode, "workspace", problem);
            } else if (text != null) {
                id = WorkspaceId.of(text);
            }
        }
        final List<PortShare> shares = new ArrayList<>();
        final Node sharesNode = fields.required(root, "", "shares");
        final ListNode list = sharesNode == null ? null : fields.list(sharesNode, "shares");
        if (list != null) {
            final Map<Integer, Node> ports = new HashMap<>();
            for (int i = 0; i < list.items().size(); i++) {
                final PortShare share = share(list.items().get(i), "shares[" + i + ']', ports);
                if (share != null) {
                    shares.add(share);
                }
            }
        }
        if (!problems.isEmpty()) {
            return null;
        }
        return new SharesFile(id, PortShares.of(shares));
    }

    private PortShare share(Node node, String path, Map<Integer, Node> seenPorts) {
        final int before = problems.count();
        final MapNode map = fields.map(node, path, SHARE);
        if (map == null) {
            return null;
        }
        final Node portNode = fields.required(map, path, "port");
        final Integer port = portNode == null ? null : fields.port(portNode, path + ".port");
        if (port != null) {
            final Node earlier = seenPorts.putIfAbsent(port, portNode);
            if (earlier != null) {
                problems.add(portNode, path + ".port", port + " is already shared at line " + earlier.line()
                                                       + " (expected: one share per port)");
            }
        }
        final Node levelNode = fields.required(map, path, "level");
        final ShareLevel level = levelNode == null ? null : fields.level(levelNode, path + ".level");
        final Set<String> users = names(map, path, "users");
        final Set<String> groups = names(map, path, "groups");
        final Node expiresNode = Fields.optional(map, "expires");
        final Instant expires = expiresNode == null ? null : expiry(expiresNode, path + ".expires");
        if (level == ShareLevel.USERS && users.isEmpty() && groups.isEmpty()
            && Fields.optional(map, "users") == null && Fields.optional(map, "groups") == null) {
            problems.add(levelNode, path + ".level", "users names nobody (expected: a users or groups list too)");
        }
        if (level == ShareLevel.OWNER && (!users.isEmpty() || !groups.isEmpty())) {
            problems.add(levelNode, path + ".level",
                         "owner admits nobody else, yet users or groups are listed (expected: level users or wider)");
        }
        final Set<String> origins = allowedOrigins(map, path);
        if (problems.count() != before || port == null || level == null) {
            return null;
        }
        return new PortShare(port, level, users, groups, expires, origins);
    }

    /** Each listed origin checked on its own line, so every bad one is reported, not just the first. */
    private Set<String> allowedOrigins(MapNode map, String path) {
        final Node node = Fields.optional(map, "allowedOrigins");
        if (node == null) {
            return Set.of();
        }
        final Set<String> origins = new LinkedHashSet<>();
        final ListNode list = fields.list(node, path + ".allowedOrigins");
        if (list == null) {
            return Set.of();
        }
        if (list.items().size() > PortShare.MAX_ALLOWED_ORIGINS) {
            problems.add(node, path + ".allowedOrigins", list.items().size() + " origins (expected: at most "
                                                         + PortShare.MAX_ALLOWED_ORIGINS + ")");
        }
        for (int i = 0; i < list.items().size(); i++) {
            final Node item = list.items().get(i);
            final String itemPath = path + ".allowedOrigins[" + i + ']';
            final String text = fields.string(item, itemPath);
            if (text == null) {
                continue;
            }
            try {
                origins.add(WebOrigin.parse(text).serialized());
            } catch (IllegalArgumentException e) {
                problems.add(item, itemPath, e.getMessage());
            }
        }
        return origins;
    }

    private Set<String> names(MapNode map, String path, String key) {
        final Node node = Fields.optional(map, key);
        if (node == null) {
            return Set.of();
        }
        final List<String> values = fields.strings(node, path + '.' + key);
        return values == null ? Set.of() : new LinkedHashSet<>(values);
    }

    private Instant expiry(Node node, String path) {
        final String text = fields.string(node, path);
        if (text == null) {
            return null;
        }
        final Instant expires;
        try {
            expires = OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            problems.add(node, path, "\"" + text + "\" is not a time (expected: an ISO-8601 time with a zone, "
                                     + "such as 2026-12-01T18:00:00Z)");
            return null;
        }
        final Instant now = clock.instant();
        if (!expires.isAfter(now)) {
            problems.add(node, path, text + " is in the past (expected: a time after now, " + now + ')');
            return null;
        }
        return expires;
    }
}
