package dev.portcullis.policy.parse;

import java.util.List;

/**
 * A YAML or JSON value with the place it was written. Binding libraries drop locations or stop at
 * the first mistake; this tree keeps both, so the mappers can report every mistake at its line.
 */
sealed interface Node {

    int line();

    int column();

    /** The kind of value, as a user would name it in an error message. */
    String describe();

    record Entry(String key, int line, int column, Node value) {}

    record MapNode(List<Entry> entries, int line, int column) implements Node {
        Entry entry(String key) {
            for (Entry entry : entries) {
                if (entry.key().equals(key)) {
                    return entry;
                }
            }
            return null;
        }

        @Override
        public String describe() {
            return entries.isEmpty() ? "{}" : "a map";
        }
    }

    record ListNode(List<Node> items, int line, int column) implements Node {
        @Override
        public String describe() {
            return items.isEmpty() ? "[]" : "a list";
        }
    }

    enum ScalarKind { STRING, INTEGER, DECIMAL, BOOLEAN, NULL }

    record ScalarNode(String text, ScalarKind kind, int line, int column) implements Node {
        @Override
        public String describe() {
            return switch (kind) {
                case STRING -> "\"" + text + '"';
                case NULL -> "null";
                default -> text;
            };
        }
    }
}
