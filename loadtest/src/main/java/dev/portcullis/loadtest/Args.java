package dev.portcullis.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} command-line options; a name given twice keeps every value, in order. */
final class Args {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("option '" + args[i] + "' (expected: --name value)");
            }
            values.computeIfAbsent(args[i].substring(2), k -> new ArrayList<>()).add(args[++i]);
        }
    }

    String get(String name) {
        List<String> list = values.get(name);
        if (list == null) {
            throw new IllegalArgumentException("--" + name + ": missing (this option is required)");
        }
        return list.get(list.size() - 1);
    }

    String get(String name, String fallback) {
        return values.containsKey(name) ? get(name) : fallback;
    }

    int getInt(String name, int fallback) {
        return Integer.parseInt(get(name, Integer.toString(fallback)));
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** The {@code --meta key=value} pairs run.sh passes (machine, commit, load...), in order, for a result file. */
    Map<String, String> meta() {
        Map<String, String> meta = new LinkedHashMap<>();
        for (String entry : all("meta")) {
            int eq = entry.indexOf('=');
            meta.put(entry.substring(0, Math.max(eq, 0)), entry.substring(eq + 1));
        }
        return meta;
    }
}
