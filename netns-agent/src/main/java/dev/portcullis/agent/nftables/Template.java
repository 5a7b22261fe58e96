package dev.portcullis.agent.nftables;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One .nft file with {@code ${name}} placeholders (full-line {@code #} comments are dropped). Rendering is strict both ways: a placeholder
 * without a value and a value without a placeholder are errors, and values may not contain
 * anything that could end a statement or open a block, so a value can never become a new rule.
 */
public final class Template {

    /** Where the templates sit on the class path (copied from nftables-templates/ by the build). */
    public static final String RESOURCE_DIR = "nftables-templates/";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)}");
    private static final Pattern SAFE_VALUE = Pattern.compile("[A-Za-z0-9_.:/ ,\"-]*");

    private final String name;
    private final String text;
    private final Set<String> placeholders;

    public Template(String name, String text) {
        this.name = requireNonNull(name, "name");
        // Full-line comments document the file; they are not sent to nft, and placeholders in them do not count.
        this.text = requireNonNull(text, "text").lines()
                .filter(line -> !line.stripLeading().startsWith("#"))
                .map(line -> line + "\n")
                .collect(java.util.stream.Collectors.joining());
        Set<String> found = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        int stray = text.replaceAll(PLACEHOLDER.pattern(), "").indexOf("${");
        if (stray >= 0) {
            throw new IllegalArgumentException(name + ": malformed placeholder near '"
                    + text.substring(stray, Math.min(text.length(), stray + 20)) + "' (expected: ${lower_case_name})");
        }
        this.placeholders = Set.copyOf(found);
    }

    public static Template load(String name) {
        String resource = RESOURCE_DIR + name;
        try (InputStream in = Template.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("template " + resource + " is not on the class path"
                        + " (expected: the build to copy nftables-templates/ into the jar)");
            }
            return new Template(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + resource, e);
        }
    }

    public String name() {
        return name;
    }

    public Set<String> placeholders() {
        return placeholders;
    }

    public String render(Map<String, String> values) {
        Set<String> missing = new TreeSet<>(placeholders);
        missing.removeAll(values.keySet());
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(name + ": no value for " + missing + " (expected: values for " + placeholders + ")");
        }
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(placeholders);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(name + ": unknown placeholders " + unknown + " (expected: only " + placeholders + ")");
        }
        values.forEach((key, value) -> {
            if (value == null || !SAFE_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException(name + ": value of " + key + ": '" + value
                        + "' (expected: letters, digits, spaces and _.:/,\"- only)");
            }
        });
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }
}
