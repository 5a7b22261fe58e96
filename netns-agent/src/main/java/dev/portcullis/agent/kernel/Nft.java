package dev.portcullis.agent.kernel;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The nft binary. Changes go in as one script on stdin: `nft -f -` applies it as one transaction. */
public final class Nft {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner commands;

    public Nft(CommandRunner commands) {
        this.commands = requireNonNull(commands, "commands");
    }

    public void apply(String script) {
        commands.check(List.of("nft", "-f", "-"), script);
    }

    /** Applies a script as one transaction and reports whether it went in; a failed one changed nothing. */
    public CommandResult tryApply(String script) {
        return commands.run(List.of("nft", "-f", "-"), script);
    }

    /** Parses and checks a script against the running kernel without changing anything. */
    public CommandResult check(String script) {
        return commands.run(List.of("nft", "-c", "-f", "-"), script);
    }

    public boolean tableExists(String family, String table) {
        return commands.run("nft", "list", "table", family, table).ok();
    }

    public void deleteTable(String family, String table) {
        commands.check("nft", "delete", "table", family, table);
    }

    public String listTable(String family, String table) {
        return commands.check("nft", "list", "table", family, table).stdout();
    }

    /**
     * Elements of every set and map of one table in a plain form without quotes ("pc1 . 10.0.0.1",
     * "udp . 53", "10.0.0.0/8", a map's "pc1 : 7063:10"), so they compare with what the agent renders.
     * Empty when the table does not exist.
     */
    public Optional<Map<String, List<String>>> setElements(String family, String table) {
        return listing(family, table, java.util.Set.of()).map(Listing::sets);
    }

    /**
     * The shape of a table: its chains, rules and sets without handles, counter values, or the
     * elements of {@code volatileSets}. Two listings with the same shape have the same policy.
     * Empty when the table does not exist.
     */
    public Optional<String> structure(String family, String table, java.util.Set<String> volatileSets) {
        return listing(family, table, volatileSets).map(Listing::structure);
    }

    /** One listing of a table, read both ways: its shape ({@link #structure}) and its sets' elements ({@link #setElements}). */
    public record Listing(String structure, Map<String, List<String>> sets) {}

    /** Both views of the table from one {@code nft -j list table} (one process instead of two); empty when it does not exist. */
    public Optional<Listing> listing(String family, String table, java.util.Set<String> volatileSets) {
        CommandResult result = commands.run("nft", "-j", "list", "table", family, table);
        if (!result.ok()) {
            return Optional.empty();
        }
        Map<String, List<String>> sets = new LinkedHashMap<>();
        StringBuilder shape = new StringBuilder();
        try {
            for (JsonNode item : JSON.readTree(result.stdout()).path("nftables")) {
                if (item.has("metainfo")) {
                    continue;
                }
                JsonNode set = item.has("map") ? item.path("map") : item.path("set");
                if (!set.isMissingNode()) {
                    List<String> elements = new ArrayList<>();
                    for (JsonNode element : set.path("elem")) {
                        elements.add(render(element));
                    }
                    sets.put(set.path("name").asText(), elements);
                }
                JsonNode copy = item.deepCopy();
                copy.forEach(body -> {
                    if (body instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
                        object.remove("handle");
                        if ((item.has("set") || item.has("map")) && volatileSets.contains(object.path("name").asText())) {
                            object.remove("elem");
                        }
                    }
                });
                shape.append(copy.toString().replaceAll("\\{\"packets\": ?\\d+, ?\"bytes\": ?\\d+}", "{}")).append('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("unexpected output from nft -j: " + e.getMessage(), e);
        }
        return Optional.of(new Listing(shape.toString(), sets));
    }

    private static String render(JsonNode element) {
        if (element.isArray() && element.size() == 2) { // a map's key and value
            return render(element.get(0)) + " : " + render(element.get(1));
        }
        if (element.has("elem")) {
            return render(element.path("elem").path("val"));
        }
        if (element.has("concat")) {
            List<String> parts = new ArrayList<>();
            for (JsonNode part : element.path("concat")) {
                parts.add(render(part));
            }
            return String.join(" . ", parts);
        }
        if (element.has("prefix")) {
            JsonNode prefix = element.path("prefix");
            return prefix.path("addr").asText() + "/" + prefix.path("len").asInt();
        }
        if (element.has("range")) {
            return element.path("range").path(0).asText() + "-" + element.path("range").path(1).asText();
        }
        return element.asText();
    }
}
