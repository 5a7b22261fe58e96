package dev.portcullis.gateway.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Binds a YAML file to a type. Unknown keys and values the type rejects become a {@link ConfigException} naming the file, the line and the key path.
 */
final class YamlConfigReader {
    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private YamlConfigReader() {}

    static <T> T read(Path file, Class<T> type) throws ConfigException {
        return read(file, readText(file), type);
    }

    static String readText(Path file) throws ConfigException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        return utf8(file, bytes);
    }

    /**
     * The file's text; bytes that are not UTF-8 are an error at their line, like every other mistake
     * in the file (Files.readString would say only "Input length = 3").
     */
    private static String utf8(Path file, byte[] bytes) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ConfigException(file + ":" + line + ": not UTF-8 text (byte " + (in.position() + 1)
                    + " of the file; expected: a UTF-8 YAML file)");
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** Binds {@code content} as if it were {@code file}'s (errors name {@code file}). */
    static <T> T read(Path file, String content, Class<T> type) throws ConfigException {
        try {
            T value = MAPPER.readValue(content, type);
            if (value == null) {
                throw new ConfigException(file + ":1: the file is empty");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new ConfigException(describe(file, e), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * The line of {@code keyPath} ({@code store.etcd.tls.caFile}; list indexes such as {@code [0]} or
     * {@code []} are left out and the first item holding the key counts) in {@code file}, or of the
     * nearest enclosing key that is there; 0 when none is.
     */
    static int lineOf(String content, String keyPath) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser parser = MAPPER.getFactory().createParser(content)) {
            Deque<String> path = new ArrayDeque<>();
            String key = null;
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token == JsonToken.FIELD_NAME) {
                    key = path.isEmpty() || path.peek().isEmpty() ? parser.currentName() : path.peek() + "." + parser.currentName();
                    lines.putIfAbsent(key, parser.currentTokenLocation().getLineNr());
                } else if (token.isStructStart()) {
                    // A list's items and their keys hang under the list's own key.
                    path.push(key != null ? key : path.isEmpty() ? "" : path.peek());
                    key = null;
                } else if (token.isStructEnd()) {
                    path.pop();
                    key = null;
                } else {
                    key = null;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        for (String wanted = keyPath.replaceAll("\\[\\d*]", ""); !wanted.isEmpty();
             wanted = wanted.contains(".") ? wanted.substring(0, wanted.lastIndexOf('.')) : "") {
            Integer line = lines.get(wanted);
            if (line != null) {
                return line;
            }
        }
        return 0;
    }

    private static String describe(Path file, JsonProcessingException e) {
        StringBuilder message = new StringBuilder().append(file);
        JsonLocation location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            message.append(':').append(location.getLineNr()).append(':').append(location.getColumnNr());
        } else {
            message.append(":1");
        }
        message.append(": ");
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            message.append(keyPath(mapping)).append(": ");
        }
        message.append(reason(e));
        return message.toString();
    }

    private static String keyPath(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            } else {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getFieldName());
            }
        }
        return path.toString();
    }

    /** The cause in words, without Jackson's class names and source excerpts. */
    private static String reason(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            Set<String> known = new TreeSet<>();
            unknown.getKnownPropertyIds().forEach(id -> known.add(String.valueOf(id)));
            return "unknown key (expected one of: " + known + ")";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IllegalArgumentException) {
            return root.getMessage();
        }
        String original = e.getOriginalMessage();
        int detail = original.indexOf("\n");
        return detail > 0 ? original.substring(0, detail) : original;
    }
}
