package dev.portcullis.config;

import java.io.StringReader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Where every key and list item of a YAML file is: {@code store.etcd.tls.caFile} and
 * {@code routes[1].address} to their line and column. Built from SnakeYAML's node tree, whose marks
 * carry positions, so a problem found after binding (a check across keys) is reported at its key.
 */
public final class KeyIndex {
    /** Deeper than any config; a guard against an alias that refers to itself. */
    private static final int MAX_DEPTH = 64;

    /** A 1-based position. */
    public record Location(int line, int column) {}

    private final Map<String, Location> locations;
    private final boolean empty;

    private KeyIndex(Map<String, Location> locations, boolean empty) {
        this.locations = locations;
        this.empty = empty;
    }

    /** The index of {@code text}; empty when the text is not YAML (the binder reports that, with its line). */
    public static KeyIndex of(String text) {
        Map<String, Location> locations = new HashMap<>();
        boolean empty = false;
        try {
            Node root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
            empty = root == null;
            if (root != null) {
                walk(root, "", 0, locations);
            }
        } catch (RuntimeException e) {
            // A syntax error, or more than one document: the binder reports it; lines are then unknown.
        }
        return new KeyIndex(Map.copyOf(locations), empty);
    }

    private static void walk(Node node, String path, int depth, Map<String, Location> locations) {
        if (depth > MAX_DEPTH) {
            return;
        }
        if (node instanceof MappingNode map) {
            for (NodeTuple tuple : map.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key) {
                    String child = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
                    locations.putIfAbsent(child, at(key.getStartMark()));
                    walk(tuple.getValueNode(), child, depth + 1, locations);
                }
            }
        } else if (node instanceof SequenceNode list) {
            List<Node> items = list.getValue();
            for (int i = 0; i < items.size(); i++) {
                String child = path + "[" + i + "]";
                locations.putIfAbsent(child, at(items.get(i).getStartMark()));
                walk(items.get(i), child, depth + 1, locations);
            }
        }
    }

    private static Location at(Mark mark) {
        return new Location(mark.getLine() + 1, mark.getColumn() + 1);
    }

    /** Whether the text holds no YAML document at all: nothing, or only comments. */
    public boolean isEmptyFile() {
        return empty;
    }

    /** Where {@code keyPath} is written, if it is. */
    public Optional<Location> exact(String keyPath) {
        return Optional.ofNullable(locations.get(keyPath));
    }

    /**
     * Where {@code keyPath} is, or the nearest enclosing key or item that is in the file (a required
     * key that is missing is reported where its map is). {@code []} (a check that does not know which
     * item) means the first item.
     */
    public Optional<Location> locate(String keyPath) {
        for (String wanted = keyPath.replace("[]", "[0]"); !wanted.isEmpty(); wanted = enclosing(wanted)) {
            Location location = locations.get(wanted);
            if (location != null) {
                return Optional.of(location);
            }
        }
        return Optional.empty();
    }

    private static String enclosing(String keyPath) {
        int cut = Math.max(keyPath.lastIndexOf('.'), keyPath.lastIndexOf('['));
        return cut <= 0 ? "" : keyPath.substring(0, cut);
    }
}
