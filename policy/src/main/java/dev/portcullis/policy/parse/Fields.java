package dev.portcullis.policy.parse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.portcullis.policy.PortRange;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.parse.Node.Entry;
import dev.portcullis.policy.parse.Node.ListNode;
import dev.portcullis.policy.parse.Node.MapNode;
import dev.portcullis.policy.parse.Node.ScalarKind;
import dev.portcullis.policy.parse.Node.ScalarNode;

/**
 * Typed reads of {@link Node}s. Each read returns {@code null} after recording an error at the
 * node, so the caller carries on and the next mistake is found too.
 */
final class Fields {

    private final Problems problems;

    Fields(Problems problems) {
        this.problems = problems;
    }

    Problems problems() {
        return problems;
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + '.' + key;
    }

    /** {@code node} as a map whose keys are all in {@code known}; unknown keys are errors at the key. */
    MapNode map(Node node, String path, List<String> known) {
        if (!(node instanceof MapNode map)) {
            problems.add(node, path, describe(node) + " (expected: a map with fields " + String.join(", ", known) + ')');
            return null;
        }
        for (Entry entry : map.entries()) {
            if (!known.contains(entry.key())) {
                problems.add(entry.line(), entry.column(), join(path, entry.key()),
                             "unknown field (expected one of: " + String.join(", ", known) + ')');
            }
        }
        return map;
    }

    /** The value of {@code key}; missing is an error reported at the map. */
    Node required(MapNode map, String path, String key) {
        final Entry entry = map.entry(key);
        if (entry == null) {
            problems.add(map, join(path, key), "missing (this field is required)");
            return null;
        }
        return entry.value();
    }

    /** The value of {@code key}, or {@code null} when the key is absent. */
    static Node optional(MapNode map, String key) {
        final Entry entry = map.entry(key);
        return entry == null ? null : entry.value();
    }

    /** A non-empty text; numbers and booleans are taken as written. */
    String string(Node node, String path) {
        if (!(node instanceof ScalarNode scalar) || scalar.kind() == ScalarKind.NULL) {
            problems.add(node, path, describe(node) + " (expected: a text)");
            return null;
        }
        if (scalar.text().isBlank()) {
            problems.add(node, path, "\"\" (expected: a non-empty text)");
            return null;
        }
        return scalar.text();
    }

    Boolean bool(Node node, String path) {
        // YAML 1.1 also reads yes/no/on/off as booleans; only true and false are taken, so that a
        // kill switch never hangs on how a parser reads "no".
        if (!(node instanceof ScalarNode scalar) || scalar.kind() != ScalarKind.BOOLEAN
            || !scalar.text().equalsIgnoreCase("true") && !scalar.text().equalsIgnoreCase("false")) {
            problems.add(node, path, describe(node) + " (expected: true or false)");
            return null;
        }
        return Boolean.valueOf(scalar.text().equalsIgnoreCase("true"));
    }

    ShareLevel level(Node node, String path) {
        final String text = string(node, path);
        if (text == null) {
            return null;
        }
        try {
            return ShareLevel.ofConfigName(text);
        } catch (IllegalArgumentException e) {
            problems.add(node, path, "\"" + text + "\" is not a share level (expected one of: "
                                     + ShareLevel.expectedNames() + ')');
            return null;
        }
    }

    /** A non-empty list of non-empty texts: an empty list would silently widen a rule. */
    List<String> strings(Node node, String path) {
        final ListNode list = nonEmptyList(node, path);
        if (list == null) {
            return null;
        }
        final List<String> values = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < list.items().size(); i++) {
            final String value = string(list.items().get(i), path + '[' + i + ']');
            ok &= value != null;
            values.add(value);
        }
        return ok ? values : null;
    }

    /** A port number. */
    Integer port(Node node, String path) {
        if (!(node instanceof ScalarNode scalar) || scalar.kind() != ScalarKind.INTEGER) {
            problems.add(node, path, describe(node) + " (expected: a port number, 1-65535)");
            return null;
        }
        return checkedPort(scalar.text(), node, path);
    }

    /** A non-empty list of ports ({@code 22}) and port ranges ({@code "3000-3999"}). */
    List<PortRange> ports(Node node, String path) {
        final ListNode list = nonEmptyList(node, path);
        if (list == null) {
            return null;
        }
        final List<PortRange> ranges = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < list.items().size(); i++) {
            final PortRange range = portRange(list.items().get(i), path + '[' + i + ']');
            ok &= range != null;
            ranges.add(range);
        }
        return ok ? ranges : null;
    }

    private PortRange portRange(Node node, String path) {
        final String expected = " (expected: a port such as 22 or a range such as \"3000-3999\", within 1-65535)";
        if (!(node instanceof ScalarNode scalar)
            || scalar.kind() != ScalarKind.INTEGER && scalar.kind() != ScalarKind.STRING) {
            problems.add(node, path, describe(node) + expected);
            return null;
        }
        final String text = scalar.text().strip();
        final int dash = text.indexOf('-', 1);
        if (dash < 0) {
            final Integer port = checkedPort(text, node, path);
            return port == null ? null : PortRange.of(port);
        }
        final Integer first = checkedPort(text.substring(0, dash).strip(), node, path);
        final Integer last = first == null ? null : checkedPort(text.substring(dash + 1).strip(), node, path);
        if (last == null) {
            return null;
        }
        if (first > last) {
            problems.add(node, path, "\"" + text + "\" runs backwards (expected: first port <= last port)");
            return null;
        }
        return new PortRange(first, last);
    }

    private Integer checkedPort(String text, Node node, String path) {
        final long port;
        try {
            port = Long.parseLong(text);
        } catch (NumberFormatException e) {
            problems.add(node, path, "\"" + text + "\" is not a port (expected: a port number, 1-65535)");
            return null;
        }
        if (port < PortRange.MIN_PORT || port > PortRange.MAX_PORT) {
            problems.add(node, path, port + " (expected: a port number, 1-65535)");
            return null;
        }
        return (int) port;
    }

    /** A map from names to one value or a non-empty list of values: {@code {env: prod}}, {@code {env: [prod, staging]}}. */
    Map<String, Set<String>> valuesByName(Node node, String path) {
        if (!(node instanceof MapNode map) || map.entries().isEmpty()) {
            problems.add(node, path, describe(node) + " (expected: a non-empty map of name: value or name: [values])");
            return null;
        }
        final Map<String, Set<String>> result = new LinkedHashMap<>();
        boolean ok = true;
        for (Entry entry : map.entries()) {
            final String entryPath = join(path, entry.key());
            final List<String> values = entry.value() instanceof ListNode
                                        ? strings(entry.value(), entryPath)
                                        : single(string(entry.value(), entryPath));
            ok &= values != null;
            if (values != null) {
                result.put(entry.key(), new LinkedHashSet<>(values));
            }
        }
        return ok ? result : null;
    }

    private static List<String> single(String value) {
        return value == null ? null : List.of(value);
    }

    ListNode list(Node node, String path) {
        if (!(node instanceof ListNode list)) {
            problems.add(node, path, describe(node) + " (expected: a list)");
            return null;
        }
        return list;
    }

    private ListNode nonEmptyList(Node node, String path) {
        final ListNode list = list(node, path);
        if (list != null && list.items().isEmpty()) {
            problems.add(node, path, "[] (expected: at least one value; leave the field out instead)");
            return null;
        }
        return list;
    }

    private static String describe(Node node) {
        return node.describe();
    }
}
