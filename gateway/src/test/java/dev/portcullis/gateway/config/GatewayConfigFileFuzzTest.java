package dev.portcullis.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcullis.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The gateway config reader under arbitrary files: nothing but {@link ConfigException} comes out
 * (the documented error type), and every message names the file and a line ({@code file:LINE:}).
 */
class GatewayConfigFileFuzzTest {
    private static final Path FOLDER;
    private static final Path FILE;

    static {
        try {
            FOLDER = Files.createTempDirectory("portcullis-config-fuzz");
            FILE = FOLDER.resolve("gateway.yaml");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Pattern LOCATED = Pattern.compile("^" + Pattern.quote(FILE.toString()) + ":[1-9][0-9]*[:]");

    @FuzzTest(maxDuration = "15s")
    void onlyConfigExceptionsAndEachNamesALine(byte[] input) throws IOException {
        Files.write(FILE, input);
        try {
            GatewayConfigFile.load(FILE);
        } catch (ConfigException e) {
            assertThat(e.getMessage()).as("message of %s", e).containsPattern(LOCATED);
        }
    }
}
