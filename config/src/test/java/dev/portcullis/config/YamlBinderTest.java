package dev.portcullis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binder: every binding problem of a file at once, typed, each at its key's line and column. */
class YamlBinderTest {
    /** A config with a nested section, a list of sections and a checked value. */
    public static final class Example {
        @JsonProperty("name")
        public String name;
        @JsonProperty("port")
        public Port port;
        @JsonProperty("count")
        public Integer count;
        @JsonProperty("servers")
        public List<Server> servers;
    }

    public static final class Server {
        @JsonProperty("host")
        public String host;
        @JsonProperty("port")
        public Port port;
    }

    public record Port(int value) {
        @JsonCreator
        public static Port of(int value) {
            if (value < 1 || value > 65535) {
                throw new IllegalArgumentException(value + " (expected: 1-65535)");
            }
            return new Port(value);
        }
    }

    @TempDir
    Path folder;

    @Test
    void bindsAValidFile() throws Exception {
        Example example = YamlBinder.bind("a.yaml", "name: x\nport: 80\nservers:\n  - {host: h, port: 81}\n", Example.class).value();

        assertThat(example.name).isEqualTo("x");
        assertThat(example.port.value()).isEqualTo(80);
        assertThat(example.servers.getFirst().port.value()).isEqualTo(81);
    }

    @Test
    void reportsEveryBindingProblemAtOnceEachAtItsKey() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> YamlBinder.bind("a.yaml", """
                name: x
                prot: 80
                count: lots
                servers:
                  - host: h
                    port: 70000
                """, Example.class));

        assertThat(e.file()).isEqualTo("a.yaml");
        assertThat(e.problems()).containsExactly(
                new ConfigProblem("prot", "unknown key (expected one of: [count, name, port, servers])", 2, 1),
                new ConfigProblem("count", "'lots' (expected: a whole number)", 3, 1),
                new ConfigProblem("servers[0].port", "70000 (expected: 1-65535)", 6, 5));
        assertThat(e.getMessage()).isEqualTo("""
                a.yaml:2: prot: unknown key (expected one of: [count, name, port, servers])
                a.yaml:3: count: 'lots' (expected: a whole number)
                a.yaml:6: servers[0].port: 70000 (expected: 1-65535)""");
    }

    @Test
    void aSyntaxErrorIsOneProblemAtItsLine() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> YamlBinder.bind("a.yaml", "name: x\nservers: [\n", Example.class));

        assertThat(e.problems()).hasSize(1);
        assertThat(e.problems().getFirst().line()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aRefusalAcrossKeysIsReportedAtTheKeyItNamesOrItsNearestEnclosingKey() throws Exception {
        YamlBinder.Bound<Example> bound = YamlBinder.bind("a.yaml", "name: x\nservers:\n  - host: h\n  - host: i\n", Example.class);

        assertThat(bound.refusal(new InvalidKeyException("servers[1].host", "'i' twice")).problems())
                .containsExactly(new ConfigProblem("servers[1].host", "'i' twice", 4, 5));
        assertThat(bound.refusal(new InvalidKeyException("servers[].port", "missing")).problems())
                .containsExactly(new ConfigProblem("servers[].port", "missing", 3, 5));
        assertThat(bound.refusal(new InvalidKeyException("count", "missing")).problems())
                .containsExactly(new ConfigProblem("count", "missing", 1, 0));
    }

    @Test
    void aMissingFileAndBytesThatAreNotUtf8AreRefusedWithTheReason() throws Exception {
        Path latin1 = Files.write(folder.resolve("a.yaml"), "name: x\nport: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(() -> YamlBinder.readText(folder.resolve("missing.yaml")))
                .hasMessage(folder.resolve("missing.yaml") + ": no such file");
        assertThatThrownBy(() -> YamlBinder.readText(latin1)).hasMessageStartingWith(latin1 + ":2: not UTF-8 text");
    }

    @Test
    void anEmptyFileIsAProblemAtLineOne() {
        assertThatThrownBy(() -> YamlBinder.bind("a.yaml", "# nothing\n", Example.class))
                .hasMessage("a.yaml:1: the file is empty (expected: a YAML map of settings)");
    }

    @Test
    void theKeyIndexKnowsKeysAndListItems() {
        KeyIndex keys = KeyIndex.of("a:\n  b: 1\n  c:\n    - x\n    - {d: 2}\n");

        assertThat(keys.exact("a.b")).contains(new KeyIndex.Location(2, 3));
        assertThat(keys.exact("a.c[1].d")).contains(new KeyIndex.Location(5, 8));
        assertThat(keys.locate("a.c[1].e")).contains(new KeyIndex.Location(5, 7));
        assertThat(keys.locate("z")).isEmpty();
        assertThat(KeyIndex.of("a: [").exact("a")).isEmpty();
    }
}
