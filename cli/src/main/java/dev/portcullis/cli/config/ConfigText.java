package dev.portcullis.cli.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A YAML file's lines, from which a line and the block under it can be taken out without moving any
 * other line: taken-out lines become empty. Blocks are told by indentation, as YAML's block style
 * does; a line inside a flow collection ({@code {a: 1, b: 2}}) takes its whole line with it.
 */
final class ConfigText {
    private final List<String> original;
    private final List<String> lines;

    ConfigText(String text) {
        original = List.of(text.split("\n", -1));
        lines = new ArrayList<>(original);
    }

    /** Whether nothing but empty lines and comments is left. */
    boolean isEmpty() {
        return lines.stream().allMatch(line -> line.isBlank() || line.strip().startsWith("#"));
    }

    String text() {
        return String.join("\n", lines);
    }

    /** Empties line {@code number} (1-based) and every line under it that is indented deeper; false if nothing was there. */
    boolean takeOut(int number) {
        int index = number - 1;
        if (index < 0 || index >= lines.size() || lines.get(index).isBlank()) {
            return false;
        }
        int indent = indentOf(lines.get(index));
        boolean item = lines.get(index).strip().startsWith("-");
        lines.set(index, "");
        for (int i = index + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            boolean under = line.isBlank() || line.strip().startsWith("#") || indentOf(line) > indent
                    // "key:" with its list items at its own indentation ("routes:\n- a: 1")
                    || !item && indentOf(line) == indent && line.strip().startsWith("-");
            if (!under) {
                break;
            }
            lines.set(i, "");
        }
        return true;
    }

    /**
     * The nearest line above {@code number} (which may be taken out already) that is still there and
     * indented less: the key or list item around it; 0 if none.
     */
    int enclosingLine(int number) {
        if (number < 1 || number > lines.size()) {
            return 0;
        }
        int indent = indentOf(original.get(number - 1));
        for (int i = number - 2; i >= 0; i--) {
            String line = lines.get(i);
            if (!line.isBlank() && !line.strip().startsWith("#") && indentOf(line) < indent) {
                return i + 1;
            }
        }
        return 0;
    }

    /** Spaces before the content: a list item's keys ("- a: 1\n  b: 2") are deeper than its dash. */
    private static int indentOf(String line) {
        int column = 0;
        while (column < line.length() && line.charAt(column) == ' ') {
            column++;
        }
        return column;
    }
}
