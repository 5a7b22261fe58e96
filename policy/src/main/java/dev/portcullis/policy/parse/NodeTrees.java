package dev.portcullis.policy.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.yaml.snakeyaml.error.MarkedYAMLException;

import dev.portcullis.policy.parse.Node.Entry;
import dev.portcullis.policy.parse.Node.ListNode;
import dev.portcullis.policy.parse.Node.MapNode;
import dev.portcullis.policy.parse.Node.ScalarKind;
import dev.portcullis.policy.parse.Node.ScalarNode;

/** Reads YAML or JSON text into a {@link Node} tree, with Jackson's streaming parsers. */
final class NodeTrees {

    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final JsonFactory YAML = new YAMLFactory();

    private NodeTrees() {}

    /**
     * The tree of {@code content}, or {@code null} after adding the syntax error to {@code problems}.
     * JSON is recognised by a leading '{' and read with the JSON parser, whose messages are sharper;
     * anything else is read as YAML.
     */
    static Node read(String content, Problems problems) {
        final boolean json = content.stripLeading().startsWith("{");
        try (JsonParser parser = (json ? JSON : YAML).createParser(content)) {
            if (parser.nextToken() == null) {
                problems.add(1, 1, "", "the document is empty (expected: a map with apiVersion and kind)");
                return null;
            }
            final Node root = readValue(parser, "", problems);
            if (parser.nextToken() != null) {
                final JsonLocation at = parser.currentTokenLocation();
                problems.add(at.getLineNr(), at.getColumnNr(), "",
                             "a second document follows the first (expected: one document per file)");
            }
            return root;
        } catch (JsonProcessingException e) {
            syntaxError(e, json ? "JSON" : "YAML", problems);
            return null;
        } catch (IOException e) {
            problems.add(1, 1, "", "cannot read: " + e.getMessage());
            return null;
        }
    }

    private static void syntaxError(JsonProcessingException e, String format, Problems problems) {
        // SnakeYAML knows exactly where the problem is; Jackson's location is where it stopped reading.
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            final String problem = yaml.getProblem() != null ? yaml.getProblem() : yaml.getMessage();
            problems.add(yaml.getProblemMark().getLine() + 1, yaml.getProblemMark().getColumn() + 1, "",
                         format + " syntax: " + oneLine(problem));
            return;
        }
        final JsonLocation at = e.getLocation();
        problems.add(at == null ? 1 : Math.max(1, at.getLineNr()), at == null ? 1 : Math.max(1, at.getColumnNr()),
                     "", format + " syntax: " + oneLine(e.getOriginalMessage()));
    }

    /** Error lines are {@code FILE:LINE:COLUMN: message}, one per error, so messages keep to one line. */
    private static String oneLine(String message) {
        return message == null ? "unreadable" : message.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    private static Node readValue(JsonParser parser, String path, Problems problems) throws IOException {
        final JsonLocation at = parser.currentTokenLocation();
        final int line = at.getLineNr();
        final int column = at.getColumnNr();
        final JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT: {
                final List<Entry> entries = new ArrayList<>();
                final Map<String, Entry> seen = new HashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    final JsonLocation keyAt = parser.currentTokenLocation();
                    final String key = parser.currentName();
                    parser.nextToken();
                    final String childPath = path.isEmpty() ? key : path + '.' + key;
                    final Entry entry = new Entry(key, keyAt.getLineNr(), keyAt.getColumnNr(),
                                                  readValue(parser, childPath, problems));
                    final Entry earlier = seen.putIfAbsent(key, entry);
                    if (earlier != null) {
                        // Which of two values "wins" differs between tools: refuse to guess.
                        problems.add(entry.line(), entry.column(), childPath,
                                     "duplicate key (first set at line " + earlier.line() + ')');
                    } else {
                        entries.add(entry);
                    }
                }
                return new MapNode(List.copyOf(entries), line, column);
            }
            case START_ARRAY: {
                final List<Node> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(parser, path + '[' + items.size() + ']', problems));
                }
                return new ListNode(List.copyOf(items), line, column);
            }
            case VALUE_STRING:
                if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
                    // Jackson hands over an alias as its anchor's name, which would be read as a value.
                    problems.add(line, column, path, "alias *" + parser.getText()
                                                     + " (expected: the value written out; aliases are not supported)");
                }
                return new ScalarNode(parser.getText(), ScalarKind.STRING, line, column);
            case VALUE_NUMBER_INT:
                return new ScalarNode(parser.getText(), ScalarKind.INTEGER, line, column);
            case VALUE_NUMBER_FLOAT:
                return new ScalarNode(parser.getText(), ScalarKind.DECIMAL, line, column);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new ScalarNode(parser.getText(), ScalarKind.BOOLEAN, line, column);
            case VALUE_NULL:
                return new ScalarNode("null", ScalarKind.NULL, line, column);
            default:
                return new ScalarNode(parser.getText(), ScalarKind.STRING, line, column);
        }
    }
}
