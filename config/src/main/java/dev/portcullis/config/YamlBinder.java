package dev.portcullis.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
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
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Binds a YAML config file to its type with Jackson, and reports every problem of the binding at once,
 * typed: unknown keys, values a type refuses (a {@code @JsonCreator} that throws), values of the wrong
 * kind. Jackson stops at the first of these by itself; a {@link DeserializationProblemHandler} records
 * each one, skips the value (the key is then unset) and lets binding go on. A mistake the handler cannot
 * step over (a YAML syntax error, a setter that throws) ends binding with that one problem.
 */
public final class YamlBinder {
    private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private static final String EMPTY = "the file is empty (expected: a YAML map of settings)";

    private YamlBinder() {}

    /** A bound file: the value, where its keys are, and the file's name for the problems found next. */
    public record Bound<T>(String file, T value, KeyIndex keys) {
        /** A collector for the checks that follow binding, one per key, which reports every problem. */
        public ConfigProblems problems() {
            return new ConfigProblems(file, keys);
        }

        /** A check across keys refused the file: its problem, at the key it names. */
        public ConfigException refusal(IllegalArgumentException e) {
            ConfigProblems problems = problems();
            problems.add(e);
            return problems.exception(e);
        }
    }

    /** The text of {@code file}; a file that is missing, unreadable or not UTF-8 is refused with the reason. */
    public static String readText(Path file) throws ConfigException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw ConfigException.ofFile(file.toString(), "no such file", e);
        } catch (IOException e) {
            throw ConfigException.ofFile(file.toString(), "cannot read: " + e.getMessage(), e);
        }
        return utf8(file.toString(), bytes);
    }

    /**
     * The file's text; bytes that are not UTF-8 are an error at their line, like every other mistake
     * in the file (Files.readString would say only "Input length = 3").
     */
    private static String utf8(String file, byte[] bytes) throws ConfigException {
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
            throw new ConfigException(file, List.of(new ConfigProblem("", "not UTF-8 text (byte " + (in.position() + 1)
                    + " of the file; expected: a UTF-8 YAML file)", line, 0)));
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** Binds {@code text} as {@code file}'s (problems name {@code file}); every binding problem at once. */
    public static <T> Bound<T> bind(String file, String text, Class<T> type) throws ConfigException {
        KeyIndex keys = KeyIndex.of(text);
        ConfigProblems problems = new ConfigProblems(file, keys);
        if (keys.isEmptyFile()) {
            throw new ConfigException(file, List.of(new ConfigProblem("", EMPTY, 1, 0)));
        }
        T value;
        try {
            value = MAPPER.readerFor(type).withHandler(new Recorder(problems)).readValue(text);
        } catch (JsonProcessingException e) {
            problems.add(stopped(e, keys));
            throw problems.exception(e);
        } catch (IOException e) {
            throw ConfigException.ofFile(file, "cannot read: " + e.getMessage(), e);
        }
        problems.throwIfAny();
        if (value == null) {
            throw new ConfigException(file, List.of(new ConfigProblem("", EMPTY, 1, 0)));
        }
        return new Bound<>(file, value, keys);
    }

    /** The one problem that ended binding. */
    private static ConfigProblem stopped(JsonProcessingException e, KeyIndex keys) {
        String keyPath = e instanceof JsonMappingException mapping ? keyPath(mapping) : "";
        JsonLocation location = e.getLocation();
        if (location != null && location.getLineNr() > 0) {
            return new ConfigProblem(keyPath, reason(e), location.getLineNr(), Math.max(0, location.getColumnNr()));
        }
        KeyIndex.Location at = keys.locate(keyPath).orElse(new KeyIndex.Location(1, 0));
        return new ConfigProblem(keyPath, reason(e), at.line(), at.column());
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
    private static String reason(Throwable e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return unknownKey(unknown.getKnownPropertyIds());
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IllegalArgumentException) {
            return root.getMessage();
        }
        String original = e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
        if (original == null) {
            return e.getClass().getSimpleName();
        }
        int detail = original.indexOf('\n');
        return detail > 0 ? original.substring(0, detail) : original;
    }

    private static String unknownKey(Collection<Object> known) {
        Set<String> names = new TreeSet<>();
        known.forEach(id -> names.add(String.valueOf(id)));
        return "unknown key (expected one of: " + names + ")";
    }

    /** The key path of the value the parser is on: {@code tls.certificates[0].privateKey}. */
    private static String keyPathAt(JsonParser parser) {
        JsonStreamContext context = parser.getParsingContext();
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            context = context.getParent(); // the value is a map or list just entered: it is named one level up
        }
        Deque<String> parts = new ArrayDeque<>();
        for (; context != null && !context.inRoot(); context = context.getParent()) {
            if (context.inArray()) {
                parts.push("[" + Math.max(0, context.getCurrentIndex()) + "]");
            } else if (context.getCurrentName() != null) {
                parts.push(context.getCurrentName());
            }
        }
        StringBuilder path = new StringBuilder();
        for (String part : parts) {
            if (!path.isEmpty() && !part.startsWith("[")) {
                path.append('.');
            }
            path.append(part);
        }
        return path.toString();
    }

    /** Words for what a key wanted, from the type Jackson tried to make. */
    private static String expected(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "text";
        }
        if (Collection.class.isAssignableFrom(type)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a map";
        }
        if (type.isRecord()) {
            return "a single value";
        }
        return "a map of keys";
    }

    private static String found(JsonToken token, JsonParser parser) throws IOException {
        return switch (token) {
            case START_OBJECT -> "a map";
            case START_ARRAY -> "a list";
            case VALUE_NULL -> "an empty value";
            default -> "'" + parser.getText() + "'";
        };
    }

    /**
     * Records each problem Jackson meets and lets it go on: the key is left unset, and its value
     * skipped. Hand-written because Jackson has no "collect every error" mode; its problem handler
     * is the hook it offers for exactly this.
     */
    private static final class Recorder extends DeserializationProblemHandler {
        private final ConfigProblems problems;

        Recorder(ConfigProblems problems) {
            this.problems = problems;
        }

        private void record(JsonParser parser, String message) {
            String keyPath = keyPathAt(parser);
            JsonLocation location = parser.currentTokenLocation();
            problems.add(keyPath, message, new KeyIndex.Location(Math.max(1, location.getLineNr()),
                    Math.max(0, location.getColumnNr())));
        }

        private void recordKey(JsonParser parser, String keyPath, String message) {
            JsonLocation location = parser.currentTokenLocation();
            problems.add(keyPath, message, new KeyIndex.Location(Math.max(1, location.getLineNr()),
                    Math.max(0, location.getColumnNr())));
        }

        @Override
        public boolean handleUnknownProperty(DeserializationContext context, JsonParser parser,
                                             JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName)
                throws IOException {
            String parent = keyPathAt(parser);
            // The parser is on the value; the path names the key when the value is a scalar, its map when not.
            String keyPath = parent.endsWith(propertyName) ? parent : parent.isEmpty() ? propertyName : parent + "." + propertyName;
            recordKey(parser, keyPath, unknownKey(deserializer.getKnownPropertyNames()));
            parser.skipChildren();
            return true;
        }

        @Override
        public Object handleInstantiationProblem(DeserializationContext context, Class<?> instClass, Object argument,
                                                 Throwable t) {
            record(context.getParser(), reason(t));
            return null;
        }

        @Override
        public Object handleWeirdStringValue(DeserializationContext context, Class<?> targetType, String value,
                                             String failureMsg) {
            record(context.getParser(), "'" + value + "' (expected: " + expected(targetType) + ")");
            return null;
        }

        @Override
        public Object handleWeirdNumberValue(DeserializationContext context, Class<?> targetType, Number value,
                                             String failureMsg) {
            record(context.getParser(), value + " (expected: " + expected(targetType) + ")");
            return null;
        }

        @Override
        public Object handleUnexpectedToken(DeserializationContext context, JavaType targetType, JsonToken token,
                                            JsonParser parser, String failureMsg) throws IOException {
            record(parser, found(token, parser) + " (expected: " + expected(targetType.getRawClass()) + ")");
            parser.skipChildren();
            return null;
        }

        @Override
        public Object handleMissingInstantiator(DeserializationContext context, Class<?> instClass,
                                                ValueInstantiator instantiator, JsonParser parser, String message)
                throws IOException {
            record(parser, found(parser.currentToken(), parser) + " (expected: " + expected(instClass) + ")");
            parser.skipChildren();
            return null;
        }
    }
}
